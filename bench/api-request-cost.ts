/**
 * CPU cost of one `GET /v1/jobs/:id` inside the service (Hono app driven in-process, real SQLite
 * store, a 12-segment completed job): what each status poll takes from the transcription it polls.
 * The HTTP socket layer is not included (bench/serve-load.ts measures the whole thing).
 *
 *   node --import tsx bench/api-request-cost.ts [--requests 3000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { configSchema } from '../src/config/schema.js';
import { openRuntime } from '../src/runtime.js';
import { createApp } from '../src/server/app.js';
import { ownerOfKey } from '../src/server/auth/index.js';
import { TranscriptionService } from '../src/service/service.js';
import { newJobId } from '../src/store/jobs.js';
import { markdownTable, positiveNumber } from './lib.js';
import type { PlannedSegment } from '../src/core/types.js';

const { values } = parseArgs({ options: { requests: { type: 'string' } } });
const requests = positiveNumber(values.requests, '--requests', 3000);
const KEY = 'bench-key-0123456789abcdef';
const dataDir = mkdtempSync(join(tmpdir(), 'parascribe-api-cost-'));
const config = configSchema.parse({ dataDir, serve: { apiKeys: [KEY], rateLimit: { requestsPerSec: 1e9, burst: 1e9 } } });
const context = await openRuntime(config);
const service = new TranscriptionService({ runtime: context });
const { app } = createApp(service);

const id = newJobId();
await context.store.createJob({ id, source: 'bench', segmentSec: 60, backend: 'pocketsphinx', format: 'json', language: null, priority: 'normal', options: {}, owner: ownerOfKey(KEY) });
const plan = Array.from({ length: 12 }, (_, index) => ({ index, startSec: index * 60, endSec: (index + 1) * 60 })) as unknown as PlannedSegment[];
await context.store.insertSegments(id, plan);
const words = Array.from({ length: 150 }, (_, i) => ({ word: `word${i}`, startSec: i * 0.4, endSec: i * 0.4 + 0.3 }));
for (const segment of plan) {
  const resultJson = JSON.stringify({ text: 'text', utterances: [{ startSec: 0, endSec: 60, text: 'text', words }] });
  await context.store.completeSegment(id, segment.index, { resultJson, computeSec: 1, coldStart: false, warningsJson: '[]', backend: 'pocketsphinx', costUsd: 0 });
}

const headers = { Authorization: `Bearer ${KEY}` };
const measure = async (label: string, path: string) => {
  for (let i = 0; i < 300; i++) await (await app.request(path, { headers })).text();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < requests; i++) await (await app.request(path, { headers })).text();
  const used = process.cpuUsage(cpu);
  return [label, ((used.user + used.system) / 1000 / requests).toFixed(3), ((performance.now() - started) / requests).toFixed(3)];
};
const rows = [await measure('GET /v1/jobs/:id', `/v1/jobs/${id}`), await measure('GET /healthz', '/healthz')];
process.stdout.write(`${markdownTable(['request', 'CPU ms/request', 'wall ms/request'], rows)}\n`);
await context.close();
rmSync(dataDir, { recursive: true, force: true });
