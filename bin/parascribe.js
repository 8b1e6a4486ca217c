#!/usr/bin/env node
// Entry point: runs the compiled CLI (npm install/ci builds it through the "prepare" script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('parascribe: not built yet; run `npm install` (or `npm run build`) in the parascribe directory\n');
  process.exit(1);
}
// A closed pipe (`parascribe jobs | head`) ends the program quietly, as for any Unix tool.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => process.exit(error.code === 'EPIPE' ? 0 : 1));
}
const { runCli } = await import(main.href);
process.exitCode = await runCli(process.argv.slice(2));
