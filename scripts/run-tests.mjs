#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with node's test runner (Node 20 takes no globs), after
// type-checking and building the CLI that the end-to-end tests spawn. CI reads the runner's closing summary.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : find(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : [...find('src'), ...find('test')].sort();
// Type-check everything (tests and benchmarks included: tsx alone would not), then build.
for (const project of ['tsconfig.json', 'ui/tsconfig.json', 'tsconfig.build.json']) {
  const args = project === 'tsconfig.build.json' ? ['tsc', '-p', project] : ['tsc', '-p', project, '--noEmit'];
  const step = spawnSync('npx', args, { stdio: 'inherit' });
  if (step.status !== 0) process.exit(step.status ?? 1);
}
// The web UI (dist/ui), served by `parascribe serve` and driven by the browser tests.
const ui = spawnSync('npm', ['run', 'ui:build'], { stdio: 'inherit' });
if (ui.status !== 0) process.exit(ui.status ?? 1);
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=900000', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
