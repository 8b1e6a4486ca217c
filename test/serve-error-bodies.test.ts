/**
 * Issue 20, acceptance 2: no server path in anything a client receives. A real `parascribe serve`
 * (its data dir has a space in it, so a naive path pattern would leak half of it) is driven into
 * every error the API can produce from outside: each JSON error body, each failed job's view, its
 * SSE `error` event and the OpenAI door's answer is checked for the data dir and any absolute path.
 * The codes no request can reach from outside (TOOL_MISSING, BREAKER_OPEN, INTERNAL…) are walked
 * through the same two mappers (errorBody, jobErrorView) with messages full of server paths.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import { ERROR_CODES, ParascribeError, type ErrorCode } from '../src/errors.js';
import { errorBody } from '../src/server/http-errors.js';
import { jobErrorView } from '../src/service/views.js';
import { FIXTURES, ffmpeg, tempDir } from './helpers/cli.js';
import { hlsPlaylist, writeText } from './helpers/hostile-media.js';
import { authHeaders, startServer, submitFile, TEST_KEYS, waitForJob, type RunningServer } from './helpers/server.js';

const ABSOLUTE_PATH = /(^|[\s'"(=\[:])\/(?!\/)[\w.-]/;

function assertNoPath(where: string, text: string, dataDir: string): void {
  assert.ok(!text.includes(dataDir), `${where}: the data dir in ${text}`);
  for (const part of dataDir.split('/').filter((p) => p.length > 8)) assert.ok(!text.includes(part), `${where}: "${part}" in ${text}`);
  // Absolute paths, outside URLs (the client's own URLs may be echoed).
  const withoutUrls = text.replace(/\bhttps?:\/\/[^\s"]*/g, 'URL');
  assert.doesNotMatch(withoutUrls, ABSOLUTE_PATH, `${where}: an absolute path in ${text}`);
}

test('errorBody and jobErrorView: every error code, messages full of server paths → none reaches the client', () => {
  const dataDir = '/srv/parascribe data';
  const messages = [
    `${dataDir}/jobs/jabc123/input: truncated audio (file:${dataDir}/jobs/jabc123/input: Invalid data)`,
    `writing decoded audio to ${dataDir}/work/jabc123/audio.pcm failed: ENOSPC`,
    `backend "whispercpp": whisper.cpp model /opt/models/ggml-large.bin does not exist`,
    `pocketsphinx_continuous: cannot open '/usr/share/pocketsphinx/model/en-us/en-us/mdef'`,
  ];
  const row = { source: `${dataDir}/jobs/jabc123/input`, source_name: 'call.mp3', status: 'failed' as const };
  for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
    for (const message of messages) {
      const body = errorBody(new ParascribeError(code, message), dataDir);
      assert.equal(body.error.code, code);
      assertNoPath(`errorBody ${code}`, JSON.stringify(body), dataDir);
      const view = jobErrorView({ ...row, error_code: code, error: message }, dataDir);
      assertNoPath(`jobErrorView ${code}`, JSON.stringify(view), dataDir);
    }
  }
  // The upload is named as its client knows it.
  assert.equal(jobErrorView({ ...row, error_code: 'CORRUPT_AUDIO', error: messages[0]! }, dataDir)!.message, '"call.mp3": truncated audio ("call.mp3": Invalid data)');
});

describe('a real server: every error a client can provoke, no server path in any answer', { timeout: 300_000 }, () => {
  const dir = tempDir('error bodies');
  const dataDir = join(dir, 'data with space');
  mkdirSync(dataDir);
  const media = join(dir, 'media');
  mkdirSync(media);
  let server: RunningServer;
  let host: Server;
  let hostUrl: string;
  const seen = new Set<string>();

  const check = (where: string, status: number, text: string, expectedCode?: string) => {
    assertNoPath(where, text, dataDir);
    const body = JSON.parse(text) as { error?: { code: string; message: string } };
    if (expectedCode) assert.equal(body.error?.code, expectedCode, `${where}: ${status} ${text}`);
    if (body.error) seen.add(body.error.code);
    return body;
  };

  before(async () => {
    const config = {
      limits: { maxAudioSec: 20 },
      serve: { maxUploadMb: 1, bodyIdleTimeoutSec: 1, rateLimit: { requestsPerSec: 1, burst: 30 }, url: { allow: ['localhost'] } },
      backends: {
        // A model path on the server: its absence must not be described to the client with the path.
        whispercpp: { modelPath: join(dataDir, 'models', 'ggml-missing.bin') },
        // An endpoint that refuses every connection: segments fail, the job fails.
        broken: { type: 'openai', baseURL: 'http://127.0.0.1:9/v1', apiKey: 'x' },
      },
      maxAttempts: 1,
    };
    server = await startServer({ dataDir, env: { PARASCRIBE_CONFIG: writeText(join(dir, 'config.json'), JSON.stringify(config)) } });
    host = createServer((req, res) => {
      if (req.url === '/missing.mp3') res.writeHead(404).end('no');
      else res.writeHead(200, { 'Content-Type': 'audio/mpeg' }).end(hlsPlaylist('/etc/hostname'));
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    hostUrl = `http://localhost:${(host.address() as AddressInfo).port}`;
  });

  after(async () => {
    await server?.stop();
    host?.close();
  });

  const post = async (fields: Record<string, string>, file: string | null, filename = 'clip.wav', path = '/v1/jobs', key = TEST_KEYS[0]) => {
    const form = new FormData();
    if (file) form.set('file', new Blob([readFileSync(file)]), filename);
    for (const [name, value] of Object.entries(fields)) form.set(name, value);
    const response = await fetch(`${server.url}${path}`, { method: 'POST', body: form, headers: authHeaders(key) });
    return { status: response.status, text: await response.text() };
  };
  const postJson = async (body: unknown) => {
    const response = await fetch(`${server.url}/v1/jobs`, { method: 'POST', headers: { ...authHeaders(), 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, text: await response.text() };
  };

  it('request errors: 400, 401, 404, 408, 409, 413, 415, 422, 429, 502, 503', async () => {
    const wav = join(media, 'clip.wav');
    ffmpeg(['-i', join(FIXTURES, 'jfk.wav'), '-ar', '16000', '-ac', '1', wav]);
    const long = join(media, 'long.flac');
    ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=8000:cl=mono', '-t', '60', '-c:a', 'flac', long]);
    const big = join(media, 'big.wav');
    ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '40', big]); // 1.3 MB > 1 MB
    const text = writeText(join(media, 'notes.wav'), 'meeting notes, not audio\n');
    const empty = writeText(join(media, 'empty.wav'), '');
    const playlist = writeText(join(media, 'pl.mp3'), hlsPlaylist('/etc/hostname'));

    let r = await fetch(`${server.url}/v1/jobs`);
    check('no key', r.status, await r.text(), 'UNAUTHORIZED');
    r = await fetch(`${server.url}/v1/jobs/jnosuchjob1`, { headers: authHeaders() });
    check('unknown job', r.status, await r.text(), 'JOB_NOT_FOUND');
    let p = await post({ segment_sec: 'lots' }, wav);
    check('bad option', p.status, p.text, 'INVALID_ARGUMENT');
    p = await post({ backend: 'nosuch' }, wav);
    check('unknown backend', p.status, p.text, 'UNKNOWN_BACKEND');
    p = await post({ backend: 'whispercpp' }, wav);
    check('backend without its model', p.status, p.text, 'BACKEND_UNAVAILABLE');
    p = await post({}, big);
    check('upload over the cap', p.status, p.text, 'PAYLOAD_TOO_LARGE');
    p = await post({}, long, 'long.flac');
    check('audio over the duration limit', p.status, p.text, 'AUDIO_TOO_LONG');
    p = await post({}, text, 'notes.wav');
    check('not audio', p.status, p.text, 'NOT_AUDIO');
    p = await post({}, playlist, 'pl.mp3');
    check('playlist', p.status, p.text, 'UNSUPPORTED_FORMAT');
    p = await post({}, empty, 'empty.wav');
    check('empty upload', p.status, p.text, 'EMPTY_AUDIO');
    p = await postJson({ url: 'http://169.254.169.254/latest/meta-data/' });
    check('url refused', p.status, p.text, 'URL_REFUSED');
    p = await postJson({ url: `${hostUrl}/missing.mp3` });
    check('url fetch failed', p.status, p.text, 'URL_FETCH_FAILED');
    p = await postJson({ url: `${hostUrl}/playlist.mp3` });
    check('url playlist', p.status, p.text, 'UNSUPPORTED_FORMAT');

    // A body that stalls: 408 after bodyIdleTimeoutSec.
    const stalled = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${server.url}/v1/jobs`, {
        method: 'POST',
        headers: { ...authHeaders(), 'Content-Type': 'multipart/form-data; boundary=XyZ', 'Content-Length': '100000' },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: body }));
      });
      req.on('error', reject);
      req.write('--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\nRIFF');
    });
    check('stalled upload', stalled.status, stalled.text, 'REQUEST_TIMEOUT');

    // A running job's transcript is not ready; cancelling it makes an ABORTED view.
    const accepted = await submitFile(server.url, wav, {}, TEST_KEYS[1]);
    r = await fetch(`${server.url}/v1/jobs/${accepted.body.id}/transcript`, { headers: authHeaders(TEST_KEYS[1]) });
    if (r.status !== 200) check('transcript not ready', r.status, await r.text(), 'NOT_READY');
    r = await fetch(`${server.url}/v1/jobs/${accepted.body.id}`, { method: 'DELETE', headers: authHeaders(TEST_KEYS[1]) });
    check('cancelled job', r.status, await r.text());

    // Rate limit: one key's burst is spent.
    const statuses = await Promise.all(Array.from({ length: 40 }, () => fetch(`${server.url}/v1/jobs`, { headers: authHeaders(TEST_KEYS[2]) }).then(async (x) => ({ status: x.status, text: await x.text() }))));
    const limited = statuses.find((s) => s.status === 429);
    assert.ok(limited, 'no 429');
    check('rate limited', limited.status, limited.text, 'RATE_LIMITED');
  });

  it('failed jobs: the job view, its SSE error event and the OpenAI door name the upload, never its path', async () => {
    const cut = join(media, 'cut.wav');
    writeFileSync(cut, readFileSync(join(FIXTURES, 'jfk.wav')).subarray(0, 100_000)); // header promises more
    const wav = join(media, 'clip.wav');
    const jobs: Array<{ file: string; fields: Record<string, string>; code: string; name: string }> = [
      { file: cut, fields: {}, code: 'CORRUPT_AUDIO', name: 'cut.wav' },
      // Its check at job start fails: the endpoint cannot be reached.
      { file: wav, fields: { backend: 'broken' }, code: 'BACKEND_UNAVAILABLE', name: 'clip.wav' },
    ];
    for (const { file, fields, code, name } of jobs) {
      const { status, body } = await submitFile(server.url, file, fields, TEST_KEYS[3], name);
      assert.equal(status, 202, JSON.stringify(body));
      const job = await waitForJob(server.url, body.id, TEST_KEYS[3]);
      assert.equal(job.status, 'failed');
      assert.equal(job.error.code, code, JSON.stringify(job.error));
      assertNoPath(`job view ${code}`, JSON.stringify(job), dataDir);
      seen.add(code);
      const events = await (await fetch(`${server.url}/v1/jobs/${body.id}/events`, { headers: authHeaders(TEST_KEYS[3]) })).text();
      assert.match(events, /event: error/);
      assertNoPath(`SSE ${code}`, events, dataDir);
      const list = await (await fetch(`${server.url}/v1/jobs`, { headers: authHeaders(TEST_KEYS[3]) })).text();
      assertNoPath(`job list ${code}`, list, dataDir);
    }
    const cutView = await (await fetch(`${server.url}/v1/jobs?limit=10`, { headers: authHeaders(TEST_KEYS[3]) })).json() as { data: Array<{ error: { code: string; message: string } | null }> };
    assert.ok(cutView.data.some((j) => j.error?.message.startsWith('"cut.wav": truncated WAV')), JSON.stringify(cutView.data.map((j) => j.error)));
    // The OpenAI door answers a job that fails with the job's error.
    const door = await post({ model: 'whisper-1' }, cut, 'cut.wav', '/v1/audio/transcriptions', TEST_KEYS[4]);
    check('openai door, failed job', door.status, door.text, 'CORRUPT_AUDIO');
    assert.equal(door.status, 422);
    // A job that was never accepted, and one that was: nothing of either is described by path.
    assert.ok(seen.size >= 17, [...seen].join(', '));
  });
});
