/**
 * The API the web UI needs, end to end against a real `parascribe serve` (ffmpeg + pocketsphinx):
 * the upload served back with Range requests (with the key, and through a signed URL without one),
 * waveform peaks from the decode, per-segment timings, word times in SSE segments, the dashboard
 * stats, the jobs list's status filter, the UI page with its CSP; and none of it for another key.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FIXTURES } from './helpers/cli.js';
import { authHeaders, startServer, submitFile, TEST_KEYS, waitForJob, type RunningServer } from './helpers/server.js';

const JFK = join(FIXTURES, 'jfk.wav');

describe('parascribe serve: audio, peaks, segments, stats, UI', { timeout: 300_000 }, () => {
  let server: RunningServer;
  let id: string;
  const get = (path: string, init: RequestInit & { key?: string | null } = {}) =>
    fetch(`${server.url}${path}`, { ...init, headers: { ...(init.key === null ? {} : authHeaders(init.key ?? TEST_KEYS[0])), ...(init.headers as Record<string, string>) } });

  before(async () => {
    server = await startServer({ env: { PARASCRIBE_CACHE: '0' } });
    const { status, body } = await submitFile(server.url, JFK, {}, TEST_KEYS[0], 'jfk.wav');
    assert.equal(status, 202);
    id = body.id;
    const job = await waitForJob(server.url, id);
    assert.equal(job.status, 'completed', JSON.stringify(job.error));
  });

  after(async () => {
    await server?.stop();
  });

  it('GET /v1/jobs/:id/audio: the upload as sent, kept after the job; Range gives 206, beyond the end 416', async () => {
    const original = readFileSync(JFK);
    const whole = await get(`/v1/jobs/${id}/audio`);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-type'), 'audio/wav');
    assert.equal(whole.headers.get('accept-ranges'), 'bytes');
    assert.ok(Buffer.from(await whole.arrayBuffer()).equals(original));
    const part = await get(`/v1/jobs/${id}/audio`, { headers: { Range: 'bytes=1000-1999' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 1000-1999/${original.length}`);
    assert.ok(Buffer.from(await part.arrayBuffer()).equals(original.subarray(1000, 2000)));
    const beyond = await get(`/v1/jobs/${id}/audio`, { headers: { Range: `bytes=${original.length}-` } });
    assert.equal(beyond.status, 416);
    assert.equal((await get(`/v1/jobs/${id}/audio`, { key: null })).status, 401);
  });

  it('POST /v1/jobs/:id/audio-url: a signed path that plays without a key (Range too); tampered or expired is 401', async () => {
    const response = await get(`/v1/jobs/${id}/audio-url`, { method: 'POST' });
    assert.equal(response.status, 200);
    const { url, expires_at } = (await response.json()) as { url: string; expires_at: string };
    assert.match(url, new RegExp(`^/media/jobs/${id}/audio\\?exp=\\d+&sig=[\\w-]+$`));
    assert.ok(!url.includes(TEST_KEYS[0]!), 'the key is not in the URL');
    assert.ok(Date.parse(expires_at) > Date.now());
    const played = await get(url, { key: null, headers: { Range: 'bytes=0-43' } });
    assert.equal(played.status, 206);
    assert.equal(Buffer.from(await played.arrayBuffer()).subarray(0, 4).toString(), 'RIFF');
    assert.equal((await get(url.replace(/sig=./, 'sig=x'), { key: null })).status, 401);
    assert.equal((await get(url.replace(/exp=\d+/, 'exp=1'), { key: null })).status, 401);
  });

  it('GET /v1/jobs/:id/peaks: complete, 50 per second of audio, 0-1, downsampled on request', async () => {
    const response = await get(`/v1/jobs/${id}/peaks`);
    assert.equal(response.status, 200);
    const peaks = (await response.json()) as { complete: boolean; duration_sec: number; decoded_sec: number; sec_per_point: number; data: number[] };
    assert.equal(peaks.complete, true);
    assert.ok(Math.abs(peaks.decoded_sec - peaks.duration_sec) < 0.05, `${peaks.decoded_sec} vs ${peaks.duration_sec}`);
    assert.equal(peaks.data.length, Math.ceil(peaks.duration_sec * 50));
    assert.ok(peaks.data.every((v) => v >= 0 && v <= 1));
    assert.ok(Math.max(...peaks.data) > 0.2, 'speech is loud somewhere');
    const small = (await (await get(`/v1/jobs/${id}/peaks?points=100`)).json()) as { data: number[]; sec_per_point: number };
    assert.equal(small.data.length, 100);
    assert.ok(Math.abs(small.sec_per_point * 100 - peaks.decoded_sec) < 0.01);
    assert.equal(Math.max(...small.data), Math.max(...peaks.data), 'downsampling keeps the loudest peak');
    assert.equal((await get(`/v1/jobs/${id}/peaks?points=0`)).status, 400);
  });

  it('GET /v1/jobs/:id/segments: each segment with its times, state, backend and attempt log', async () => {
    const response = await get(`/v1/jobs/${id}/segments`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { started_at: string; data: Array<Record<string, any>> };
    assert.ok(body.data.length >= 1);
    body.data.forEach((s, i) => {
      assert.equal(s.index, i);
      assert.equal(s.status, 'completed');
      assert.equal(s.backend, 'pocketsphinx');
      assert.equal(s.reused, false);
      assert.ok(Date.parse(s.dispatched_at) >= Date.parse(body.started_at));
      assert.ok(Date.parse(s.completed_at) >= Date.parse(s.dispatched_at));
      assert.ok(s.compute_sec > 0);
      assert.equal(s.attempt_log.length, 1);
      assert.equal(s.attempt_log[0].outcome, 'ok');
    });
  });

  it('SSE segments carry word times (what the UI makes clickable)', async () => {
    const response = await get(`/v1/jobs/${id}/events`);
    const text = await response.text();
    const segments = [...text.matchAll(/event: segment\ndata: (.*)\nid: \d+\n/g)].map((m) => JSON.parse(m[1]!));
    assert.ok(segments.length >= 1);
    const words = segments.flatMap((s) => s.utterances.flatMap((u: any) => u.words));
    assert.ok(words.length > 5, `${words.length} words`);
    for (const w of words) assert.ok(typeof w.word === 'string' && w.end_sec >= w.start_sec && w.start_sec >= 0);
  });

  it("GET /v1/stats/hourly: the caller's jobs per hour and the server's queue; GET /v1/jobs?status= filters", async () => {
    const hourly = (await (await get('/v1/stats/hourly?hours=3')).json()) as Record<string, any>;
    assert.equal(hourly.scope, 'key');
    assert.equal(hourly.hours.length, 3);
    assert.deepEqual(hourly.hours.map((h: any) => h.jobs).reduce((a: number, b: number) => a + b), 1);
    assert.equal(hourly.hours.at(-1).completed, 1);
    assert.ok(hourly.hours.at(-1).audio_sec > 10);
    assert.deepEqual(hourly.server, { queued_jobs: 0, running_jobs: 0, distributed: null });
    const other = (await (await get('/v1/stats/hourly', { key: TEST_KEYS[1] })).json()) as Record<string, any>;
    assert.equal(other.hours.reduce((sum: number, h: any) => sum + h.jobs, 0), 0, "another key's hours hold none of it");
    assert.equal((await get('/v1/stats/hourly?hours=0')).status, 400);
    // The dashboard's other half, GET /v1/stats, counts the same job.
    const totals = (await (await get('/v1/stats?since=3h')).json()) as Record<string, any>;
    assert.equal(totals.total.completed, 1);
    const completed = (await (await get('/v1/jobs?status=completed')).json()) as { data: unknown[] };
    assert.equal(completed.data.length, 1);
    const running = (await (await get('/v1/jobs?status=queued,running')).json()) as { data: unknown[] };
    assert.equal(running.data.length, 0);
    assert.equal((await get('/v1/jobs?status=bogus')).status, 400);
  });

  it("another key reaches none of it: 404 for audio, audio-url, peaks and segments", async () => {
    for (const [path, method] of [[`/v1/jobs/${id}/audio`, 'GET'], [`/v1/jobs/${id}/audio-url`, 'POST'], [`/v1/jobs/${id}/peaks`, 'GET'], [`/v1/jobs/${id}/segments`, 'GET']] as const) {
      const response = await get(path, { method, key: TEST_KEYS[1] });
      assert.equal(response.status, 404, `${method} ${path}`);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'JOB_NOT_FOUND');
    }
  });

  it('GET / serves the UI with a strict CSP (nonce per response, no inline script) and its assets', async () => {
    const page = await get('/', { key: null });
    assert.equal(page.status, 200);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce, csp);
    const html = await page.text();
    assert.ok(html.includes(`content="${nonce}"`), 'the page knows its nonce (for the waveform\'s shadow-DOM style)');
    assert.ok(!/<script(?![^>]*\bsrc=)[^>]*>/.test(html), 'no inline script');
    const again = await get('/', { key: null });
    assert.notEqual(/'nonce-([^']+)'/.exec(again.headers.get('content-security-policy') ?? '')?.[1], nonce, 'a fresh nonce each time');
    const script = /<script[^>]*src="([^"]+)"/.exec(html)?.[1];
    assert.ok(script);
    const asset = await get(script, { key: null });
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('content-type') ?? '', /javascript/);
    assert.equal((await get('/assets/../../package.json', { key: null })).status, 404);
  });

  it('DELETE ?purge=true deletes a finished job for good (row, files); another key cannot', async () => {
    assert.equal((await get(`/v1/jobs/${id}?purge=true`, { method: 'DELETE', key: TEST_KEYS[1] })).status, 404);
    const response = await get(`/v1/jobs/${id}?purge=true`, { method: 'DELETE' });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { id, object: 'transcription.job', deleted: true });
    assert.equal((await get(`/v1/jobs/${id}`)).status, 404);
    assert.equal(existsSync(join(server.dataDir, 'jobs', id)), false, 'the upload, peaks and transcript are gone');
    assert.equal(((await (await get('/v1/jobs')).json()) as { data: unknown[] }).data.length, 0);
  });
});
