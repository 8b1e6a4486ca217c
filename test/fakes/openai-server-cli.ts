/**
 * Runs the FAKE OpenAI-compatible transcription server (test/fakes/openai-server.ts) from the command
 * line, for benchmarks and manual runs:
 *
 *   node --import tsx test/fakes/openai-server-cli.ts --port 8123 --latency-ms 300 --fail-rate 0.05
 *
 * Prints the base URL on stdout; Ctrl-C (or SIGTERM) prints the stats on stderr and stops.
 */
import { parseArgs } from 'node:util';
import { startFakeOpenAIServer, type FakeFaults } from './openai-server.js';
import type { ServerlessOptions } from './serverless-sim.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8123' },
    host: { type: 'string', default: '127.0.0.1' },
    seed: { type: 'string', default: '1' },
    'api-key': { type: 'string' },
    'no-cache': { type: 'boolean', default: false },
    'latency-ms': { type: 'string' },
    'cold-start-ms': { type: 'string' },
    'fail-rate': { type: 'string' },
    'rate-limit-rate': { type: 'string' },
    'retry-after-sec': { type: 'string' },
    'hang-rate': { type: 'string' },
    'malformed-rate': { type: 'string' },
    'compression-ratio': { type: 'string' },
    'force-status': { type: 'string' },
    'refuse-verbose-json': { type: 'boolean', default: false },
    'ignore-verbose-json': { type: 'boolean', default: false },
    down: { type: 'boolean', default: false },
    /** JSON ServerlessOptions (serverless-sim.ts): a simulated scale-to-zero GPU endpoint. */
    serverless: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout.write(
    'usage: node --import tsx test/fakes/openai-server-cli.ts [--port N] [--host H] [--seed N] [--api-key K] [--no-cache]\n' +
      '  [--latency-ms N] [--cold-start-ms N] [--fail-rate P] [--rate-limit-rate P] [--retry-after-sec N] [--hang-rate P]\n' +
      '  [--malformed-rate P] [--compression-ratio X] [--force-status N] [--refuse-verbose-json] [--ignore-verbose-json] [--down]\n' +
      '  [--serverless \'{"maxContainers":4,"coldStart":{"kind":"lognormal","medianSec":15,"sigma":0.8},"idleTimeoutSec":60,"rttSec":17,"uploadBytesPerSec":5000000,"rtf":0.006}\']\n',
  );
  process.exit(0);
}

function number(name: keyof typeof values): number | undefined {
  const raw = values[name];
  if (typeof raw !== 'string') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) {
    process.stderr.write(`fake-openai: --${name} wants a number, not "${raw}"\n`);
    process.exit(2);
  }
  return value;
}

const faults: FakeFaults = {};
const numeric: Array<[keyof typeof values, keyof FakeFaults]> = [
  ['latency-ms', 'latencyMs'],
  ['cold-start-ms', 'coldStartMs'],
  ['fail-rate', 'failRate'],
  ['rate-limit-rate', 'rateLimitRate'],
  ['retry-after-sec', 'retryAfterSec'],
  ['hang-rate', 'hangRate'],
  ['malformed-rate', 'malformedRate'],
  ['compression-ratio', 'compressionRatio'],
  ['force-status', 'forceStatus'],
];
for (const [flag, key] of numeric) {
  const value = number(flag);
  if (value !== undefined) (faults as Record<string, number>)[key] = value;
}
if (values['refuse-verbose-json']) faults.refuseVerboseJson = true;
if (values['ignore-verbose-json']) faults.ignoreVerboseJson = true;
if (values.down) faults.down = true;

const server = await startFakeOpenAIServer({
  port: number('port') ?? 8123,
  host: values.host,
  seed: number('seed') ?? 1,
  cache: !values['no-cache'],
  faults,
  ...(values.serverless ? { serverless: JSON.parse(values.serverless) as ServerlessOptions } : {}),
  ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
});
process.stdout.write(`${server.url}\n`);

const stop = async () => {
  const { log: _log, ...summary } = server.stats();
  process.stderr.write(`fake-openai: ${JSON.stringify(summary)}\n`);
  await server.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
