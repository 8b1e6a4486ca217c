/**
 * The service the HTTP fuzz attacks: a real TranscriptionService (embedded mode, SQLite, its own data
 * dir) behind the real Hono app, driven in-process (`app.request`) for the bulk and behind a real
 * socket (listen.ts) for what only a socket can do. The backend is the FAKE OpenAI-compatible server
 * with its instant word transcriber, so a job the fuzz happens to submit costs one ffprobe, not a
 * recognition. Two tenants: key A (the fuzzer) and key B, whose job (and its file name, a marker)
 * must never appear in anything A receives.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema } from '../../../src/config/schema.js';
import { openRuntime, type Runtime } from '../../../src/runtime.js';
import { createApp, type HttpApp } from '../../../src/server/app.js';
import { listen, type Listening } from '../../../src/server/listen.js';
import { ownerOfKey } from '../../../src/server/auth/index.js';
import { TranscriptionService } from '../../../src/service/service.js';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../../fakes/openai-server.js';
import { wordTranscriber } from '../../fakes/word-transcriber.js';
import { FIXTURES, tempDir } from '../../helpers/cli.js';

export const KEY_A = 'fuzz-key-alice-000000000000001';
export const KEY_B = 'fuzz-key-bob-00000000000000002';
/** B's upload is named this: any answer to A that holds it leaks B's data. */
export const B_MARKER = 'bob-private-zq81x.wav';

export interface FuzzTarget {
  dir: string;
  dataDir: string;
  runtime: Runtime;
  service: TranscriptionService;
  http: HttpApp;
  listening: Listening;
  fake: FakeOpenAIServer;
  /** A's finished job (never deleted by the fuzz) and every job A created since. */
  ownJobIds: string[];
  /** What must never reach A: B's job ids, B's owner id, B's file name. */
  foreign: string[];
  /** A small real WAV upload (jfk.wav, 11 s). */
  wav: Buffer;
  close(): Promise<void>;
}

export interface FuzzTargetOptions {
  maxUploadMb?: number;
  bodyIdleTimeoutSec?: number;
  requestTimeoutSec?: number;
}

async function submitAs(http: HttpApp, key: string, wav: Buffer, filename: string): Promise<string> {
  const form = new FormData();
  form.set('file', new Blob([new Uint8Array(wav)]), filename);
  form.set('segment_sec', '10');
  const response = await http.app.request('/v1/jobs', { method: 'POST', body: form, headers: { Authorization: `Bearer ${key}` } });
  const body = (await response.json()) as { id?: string };
  if (response.status !== 202 || !body.id) throw new Error(`seeding a job failed: ${response.status} ${JSON.stringify(body)}`);
  return body.id;
}

export async function startFuzzTarget(options: FuzzTargetOptions = {}): Promise<FuzzTarget> {
  const dir = tempDir('fuzz');
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const fake = await startFakeOpenAIServer({ seed: 22, transcriber: wordTranscriber() });
  const config = configSchema.parse({
    dataDir,
    backend: 'fake',
    segmentSec: 10,
    cache: false,
    backends: { fake: { type: 'openai', baseURL: fake.url, apiKey: 'test', uploadFormat: 'wav', timeoutSec: 30 } },
    serve: {
      apiKeys: [KEY_A, KEY_B],
      maxUploadMb: options.maxUploadMb ?? 8,
      bodyIdleTimeoutSec: options.bodyIdleTimeoutSec ?? 2,
      requestTimeoutSec: options.requestTimeoutSec ?? 60,
      // Generous: the fuzz is after the routes; 429s are still checked whenever they come.
      rateLimit: { requestsPerSec: 100_000, burst: 100_000 },
      maxConcurrentJobs: 2,
      ui: false,
    },
  });
  const runtime = await openRuntime(config, { role: 'server' });
  const service = new TranscriptionService({ runtime });
  await service.start();
  const http = createApp(service, { uiDir: null });
  const listening = await listen(http, { host: '127.0.0.1', port: 0, requestTimeoutSec: config.serve.requestTimeoutSec });
  service.setPublicUrl(listening.url);
  const wav = readFileSync(join(FIXTURES, 'jfk.wav'));
  const own = await submitAs(http, KEY_A, wav, 'alice-call.wav');
  const theirs = await submitAs(http, KEY_B, wav, B_MARKER);
  for (const id of [own, theirs]) {
    const row = await service.waitForEnd(id, AbortSignal.timeout(60_000));
    if (row.status !== 'completed') throw new Error(`seed job ${id} ended ${row.status}: ${row.error}`);
  }
  return {
    dir,
    dataDir,
    runtime,
    service,
    http,
    listening,
    fake,
    ownJobIds: [own],
    foreign: [theirs, ownerOfKey(KEY_B), B_MARKER, KEY_B],
    wav,
    async close() {
      await listening.close();
      await service.stop();
      await runtime.close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
