/**
 * Issue 22, part 4 / acceptance 4: every limit in docs/limits.md crossed over real HTTP (or the real
 * CLI), each answered as documented: the status, the error code, Retry-After where the answer is
 * "later", and nothing left behind. Jobs that must stay running (to fill a key's queue) use a FAKE
 * OpenAI-compatible backend whose answers wait on a gate this test opens (test/fakes/), so no CPU is
 * spent on recognition while the queue is full.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../fakes/openai-server.js';
import { wordTranscriber } from '../fakes/word-transcriber.js';
import { ffmpeg, FIXTURES, tempDir } from '../helpers/cli.js';
import { authHeaders, startServer, TEST_KEYS, waitForJob, type RunningServer } from '../helpers/server.js';
import { sox } from './lib/media-corpus.js';
import { runCliBounded, stackIn } from './lib/outcomes.js';

const [ALICE, BOB] = [TEST_KEYS[0]!, TEST_KEYS[1]!];
type ErrorBody = { error: { code: string; message: string } };

async function errorOf(response: Response): Promise<ErrorBody['error']> {
  const text = await response.text();
  assert.equal(stackIn(text), false, text);
  return (JSON.parse(text) as ErrorBody).error;
}

describe('resource limits, each crossed', { timeout: 600_000 }, () => {
  const dir = tempDir('limits');
  const speech = join(dir, 'speech.wav');
  sox([join(FIXTURES, 'jfk.wav'), '-r', '16000', '-c', '1', speech, 'trim', '0', '3']);
  const big = join(dir, 'big.wav'); // 1.6 MB: over a 1 MiB upload limit
  sox(['-n', '-r', '16000', '-c', '1', '-b', '16', big, 'synth', '50', 'whitenoise', 'vol', '0.01']);
  const minute = join(dir, 'minute.flac'); // 60 s: over a 30 s duration limit, 40 kB on disk
  sox(['-n', '-r', '8000', '-c', '1', minute, 'trim', '0', '60']);
  // An hour of Opus silence (about 230 kB): quick to probe, long to decode.
  const opusMinute = join(dir, 'minute.opus');
  ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=mono', '-t', '60', '-c:a', 'libopus', '-b:a', '500', '-frame_duration', '120', opusMinute]);
  const hour = join(dir, 'hour.opus');
  ffmpeg(['-stream_loop', '59', '-i', opusMinute, '-c', 'copy', hour]);

  let fake: FakeOpenAIServer;
  let openGate!: () => void;
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  let server: RunningServer;
  let host: Server;
  let hostUrl: string;
  const servers: RunningServer[] = [];

  before(async () => {
    const words = wordTranscriber();
    fake = await startFakeOpenAIServer({ transcriber: async (bytes) => (await gate, words(bytes)) });
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        backends: { slow: { type: 'openai', baseURL: fake.url, apiKey: 'test-key', uploadFormat: 'wav', timeoutSec: 300 } },
        backend: 'slow',
        cache: false,
        limits: { maxAudioSec: 30 },
        serve: { maxConcurrentJobs: 2, maxRunningJobsPerKey: 1, maxQueuedJobsPerKey: 2, maxJsonBodyKb: 4, rateLimit: { requestsPerSec: 50, burst: 200 }, url: { allow: ['localhost'], maxMb: 1 } },
        mcp: { roots: [dir] },
      }),
    );
    // Two of them from the environment, as an operator would override a file.
    server = await startServer({ env: { PARASCRIBE_CONFIG: config, PARASCRIBE_MAX_UPLOAD_MB: '1', PARASCRIBE_MAX_STREAMS_PER_KEY: '2' } });
    servers.push(server);
    host = createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'audio/wav' });
      res.end(readFileSync(req.url === '/big.wav' ? big : speech));
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    hostUrl = `http://localhost:${(host.address() as AddressInfo).port}`;
  });

  after(async () => {
    openGate();
    host?.close();
    for (const s of servers) {
      const log = s.stderr();
      await s.stop();
      assert.equal(stackIn(log), false, log);
    }
    await fake?.close();
  });

  const jobDirs = () => (existsSync(join(server.dataDir, 'jobs')) ? readdirSync(join(server.dataDir, 'jobs')).sort() : []);
  const upload = async (path: string, key = ALICE, route = '/v1/jobs', fields: Record<string, string> = {}) => {
    const form = new FormData();
    form.set('file', new Blob([readFileSync(path)]), 'talk.wav');
    for (const [k, v] of Object.entries(fields)) form.set(k, v);
    return fetch(`${server.url}${route}`, { method: 'POST', body: form, headers: authHeaders(key), signal: AbortSignal.timeout(60_000) });
  };
  const postJson = (route: string, body: string, key = ALICE, extra: Record<string, string> = {}) =>
    fetch(`${server.url}${route}`, { method: 'POST', body, headers: { ...authHeaders(key), 'Content-Type': 'application/json', ...extra }, signal: AbortSignal.timeout(60_000) });
  const status = async (id: string, key = ALICE) => ((await (await fetch(`${server.url}/v1/jobs/${id}`, { headers: authHeaders(key) })).json()) as { status: string }).status;

  it('serve.maxUploadMb (PARASCRIBE_MAX_UPLOAD_MB): 413 PAYLOAD_TOO_LARGE at both upload doors, nothing on disk', async () => {
    const before = jobDirs();
    for (const route of ['/v1/jobs', '/v1/audio/transcriptions']) {
      const response = await upload(big, ALICE, route, { model: 'whisper-1' });
      assert.equal(response.status, 413, route);
      const error = await errorOf(response);
      assert.equal(error.code, 'PAYLOAD_TOO_LARGE');
      assert.match(error.message, /1 MB/);
    }
    assert.deepEqual(jobDirs(), before);
  });

  it('serve.url.maxMb: a URL job whose download passes it → 413 PAYLOAD_TOO_LARGE, nothing on disk', async () => {
    const before = jobDirs();
    const response = await postJson('/v1/jobs', JSON.stringify({ url: `${hostUrl}/big.wav` }));
    assert.equal(response.status, 413);
    assert.equal((await errorOf(response)).code, 'PAYLOAD_TOO_LARGE');
    assert.deepEqual(jobDirs(), before);
  });

  it('limits.maxAudioSec: 413 AUDIO_TOO_LONG before anything is decoded', async () => {
    const response = await upload(minute);
    assert.equal(response.status, 413);
    const error = await errorOf(response);
    assert.equal(error.code, 'AUDIO_TOO_LONG');
    assert.match(error.message, /1 min 00 s long; this server takes at most 30 s per job \(limits\.maxAudioSec = 30\)/);
  });

  it('serve.maxJsonBodyKb: 413 PAYLOAD_TOO_LARGE for a JSON job, an ask and an MCP message over it (chunked too)', async () => {
    const padding = 'x'.repeat(5 * 1024);
    const cases: Array<[string, () => Promise<Response>]> = [
      ['POST /v1/jobs {url}', () => postJson('/v1/jobs', JSON.stringify({ url: `${hostUrl}/speech.wav`, padding }))],
      ['POST /v1/jobs/:id/ask', () => postJson('/v1/jobs/00000000000000000000000000/ask', JSON.stringify({ question: padding }))],
      ['POST /mcp', () => postJson('/mcp', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { padding } }), ALICE, { Accept: 'application/json, text/event-stream' })],
      [
        'POST /v1/jobs, chunked',
        () => {
          const body = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode(JSON.stringify({ url: 'http://x', padding }))), c.close()) });
          return fetch(`${server.url}/v1/jobs`, { method: 'POST', body, duplex: 'half', headers: { ...authHeaders(), 'Content-Type': 'application/json' } } as RequestInit);
        },
      ],
    ];
    for (const [name, send] of cases) {
      const response = await send();
      assert.equal(response.status, 413, name);
      const error = await errorOf(response);
      assert.equal(error.code, 'PAYLOAD_TOO_LARGE', name);
      assert.match(error.message, /at most 4 KiB \(serve\.maxJsonBodyKb\)/, name);
    }
    // Under the limit the same route works.
    const ok = await postJson('/v1/jobs', JSON.stringify({ url: `${hostUrl}/speech.wav` }), BOB);
    assert.equal(ok.status, 202);
    const id = ((await ok.json()) as { id: string }).id;
    await fetch(`${server.url}/v1/jobs/${id}`, { method: 'DELETE', headers: authHeaders(BOB) });
  });

  const jobs: Record<string, string> = {};
  it('serve.maxRunningJobsPerKey: a key at its limit waits while another key starts; serve.maxQueuedJobsPerKey: the next is 429 QUEUE_FULL with Retry-After at every door', async () => {
    const submit = async (key: string) => {
      const response = await upload(speech, key);
      assert.equal(response.status, 202);
      return ((await response.json()) as { id: string }).id;
    };
    jobs.a1 = await submit(ALICE);
    await waitFor(async () => (await status(jobs.a1!)) === 'running');
    jobs.a2 = await submit(ALICE);
    jobs.b1 = await submit(BOB);
    await waitFor(async () => (await status(jobs.b1!, BOB)) === 'running');
    // Two slots on the server, one taken by each key: alice's second job waits although bob's (later) runs.
    assert.equal(await status(jobs.a2!), 'queued');
    jobs.a3 = await submit(ALICE); // alice's second queued job: the limit
    const before = jobDirs();
    const refusals: Array<[string, Response]> = [
      ['upload', await upload(speech)],
      ['OpenAI door', await upload(speech, ALICE, '/v1/audio/transcriptions', { model: 'whisper-1' })],
      ['URL', await postJson('/v1/jobs', JSON.stringify({ url: `${hostUrl}/speech.wav` }))],
    ];
    for (const [name, response] of refusals) {
      assert.equal(response.status, 429, name);
      assert.equal(response.headers.get('retry-after'), '30', name);
      const error = await errorOf(response);
      assert.equal(error.code, 'QUEUE_FULL', name);
      assert.match(error.message, /2 of your jobs are waiting to start, the most one key may queue \(serve\.maxQueuedJobsPerKey = 2\)/);
    }
    // MCP's transcribe tool: the same code, as a tool error.
    const mcp = new Client({ name: 'limits-test', version: '1.0.0' });
    await mcp.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: authHeaders(ALICE) } }) as Transport);
    const result = (await mcp.callTool({ name: 'transcribe', arguments: { path: speech } })) as { isError?: boolean; structuredContent?: ErrorBody };
    await mcp.close();
    assert.equal(result.isError, true);
    assert.equal(result.structuredContent?.error.code, 'QUEUE_FULL');
    assert.deepEqual(jobDirs(), before, 'a refused job leaves nothing');
    // Another key is not held back by alice's queue.
    const bob2 = await upload(speech, BOB);
    assert.equal(bob2.status, 202);
    jobs.b2 = ((await bob2.json()) as { id: string }).id;
  });

  it('serve.maxStreamsPerKey (PARASCRIBE_MAX_STREAMS_PER_KEY): the next event stream is 429 TOO_MANY_STREAMS with Retry-After; a closed one frees its slot', async () => {
    const open = (id: string, key = ALICE) => {
      const controller = new AbortController();
      return fetch(`${server.url}/v1/jobs/${id}/events`, { headers: authHeaders(key), signal: controller.signal }).then((response) => ({ response, controller }));
    };
    const first = await open(jobs.a1!);
    const second = await open(jobs.a2!);
    assert.equal(first.response.status, 200);
    assert.equal(second.response.status, 200);
    const third = await open(jobs.a3!);
    assert.equal(third.response.status, 429);
    assert.equal(third.response.headers.get('retry-after'), '5');
    const error = await errorOf(third.response);
    assert.equal(error.code, 'TOO_MANY_STREAMS');
    assert.match(error.message, /serve\.maxStreamsPerKey = 2/);
    // Bob has slots of his own; with both taken, the OpenAI door's stream=true is refused too (before any job is made).
    const bobs = [await open(jobs.b1!, BOB), await open(jobs.b2!, BOB)];
    assert.deepEqual(bobs.map((b) => b.response.status), [200, 200]);
    const before = jobDirs();
    const door = await upload(speech, BOB, '/v1/audio/transcriptions', { model: 'whisper-1', stream: 'true' });
    assert.equal(door.status, 429);
    assert.equal(door.headers.get('retry-after'), '5');
    assert.equal((await errorOf(door)).code, 'TOO_MANY_STREAMS');
    assert.deepEqual(jobDirs(), before);
    for (const b of bobs) b.controller.abort();
    // The client goes away: its slot comes back.
    first.controller.abort();
    await waitFor(async () => {
      const again = await open(jobs.a3!);
      if (again.response.status === 200) {
        again.controller.abort();
        return true;
      }
      await again.response.body?.cancel();
      return false;
    });
    second.controller.abort();
  });

  it('the held jobs then finish: nothing lost, nothing left queued', async () => {
    openGate();
    for (const [name, id] of Object.entries(jobs)) {
      const job = await waitForJob(server.url, id, name.startsWith('b') ? BOB : ALICE, 120_000);
      assert.equal(job.status, 'completed', `${name}: ${JSON.stringify(job.error)}`);
    }
  });

  it('limits.maxDecodeSec (PARASCRIBE_MAX_DECODE_SEC): a decode past it fails with DECODE_TIMEOUT, CLI exit 33, no output', async () => {
    const env = { PARASCRIBE_DATA_DIR: join(dir, 'cli'), XDG_CONFIG_HOME: join(dir, 'xdg'), PARASCRIBE_CONFIG: '', PARASCRIBE_MAX_DECODE_SEC: '0.5' };
    const out = join(dir, 'hour.txt');
    const run = await runCliBounded(['transcribe', hour, '-q', '-o', out], env, 60_000);
    assert.equal(run.code, 33, run.stderr);
    assert.match(run.stderr, /^parascribe: error\[DECODE_TIMEOUT\]: .*hour\.opus: decoding took longer than 0\.5 s, the most one job may spend on it \(limits\.maxDecodeSec = 0\.5\)$/m);
    assert.equal(stackIn(run.stderr), false);
    assert.equal(existsSync(out), false);
    // The API: accepted (the probe cannot know), then the job fails with the code; the OpenAI door answers 413.
    const decodeServer = await startServer({ env: { PARASCRIBE_MAX_DECODE_SEC: '0.5', PARASCRIBE_CACHE: '0' } });
    servers.push(decodeServer);
    const form = new FormData();
    form.set('file', new Blob([readFileSync(hour)]), 'hour.opus');
    const accepted = await fetch(`${decodeServer.url}/v1/jobs`, { method: 'POST', body: form, headers: authHeaders() });
    assert.equal(accepted.status, 202);
    const job = await waitForJob(decodeServer.url, ((await accepted.json()) as { id: string }).id, ALICE, 60_000);
    assert.equal(job.status, 'failed');
    assert.equal(job.error.code, 'DECODE_TIMEOUT');
    assert.match(job.error.message, /^"hour\.opus": decoding took longer than 0\.5 s/);
    form.set('model', 'whisper-1');
    const door = await fetch(`${decodeServer.url}/v1/audio/transcriptions`, { method: 'POST', body: form, headers: authHeaders() });
    assert.equal(door.status, 413);
    assert.equal((await errorOf(door)).code, 'DECODE_TIMEOUT');
  });

  it('limits.maxDecodedMb (PARASCRIBE_MAX_DECODED_MB): the decoder stops at the disk cap, AUDIO_TOO_LONG, exit 26', async () => {
    const env = { PARASCRIBE_DATA_DIR: join(dir, 'cli'), XDG_CONFIG_HOME: join(dir, 'xdg'), PARASCRIBE_CONFIG: '', PARASCRIBE_MAX_DECODED_MB: '5' };
    const out = join(dir, 'hour-mb.txt');
    const run = await runCliBounded(['transcribe', hour, '-q', '-o', out], env, 60_000);
    assert.equal(run.code, 26, run.stderr);
    assert.match(run.stderr, /AUDIO_TOO_LONG.*would take more than 5 MiB of disk.*limits\.maxDecodedMb = 5/);
    assert.equal(existsSync(out), false);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
