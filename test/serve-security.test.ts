/**
 * `parascribe serve` security and limits over real HTTP: auth (401), isolation (404), upload cap (413
 * with nothing on disk), content sniffing (415), path-traversal filenames, SSRF refusals for URL jobs
 * (direct and through a redirect) and webhooks, rate limiting (429 + Retry-After), error bodies.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FIXTURES, ffmpeg, runCli, tempDir } from './helpers/cli.js';
import { authHeaders, jobFilesAfterEnd, startServer, submitFile, TEST_KEYS, waitForJob, type RunningServer } from './helpers/server.js';

async function postJson(url: string, body: unknown, key: string = TEST_KEYS[0]!) {
  const response = await fetch(`${url}/v1/jobs`, { method: 'POST', headers: { ...authHeaders(key), 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string }; id?: string } };
}

describe('parascribe serve: security and limits', { timeout: 300_000 }, () => {
  let server: RunningServer;
  let dir: string;
  let smallWav: string;
  let bigWav: string;
  let redirector: Server;
  let redirectorPort: number;

  before(async () => {
    dir = tempDir('security');
    smallWav = join(dir, 'small.wav');
    bigWav = join(dir, 'big.wav');
    ffmpeg(['-i', join(FIXTURES, 'jfk.wav'), '-ar', '16000', '-ac', '1', smallWav]);
    ffmpeg(['-i', join(FIXTURES, 'gpl-preamble.mp3'), '-t', '60', '-ar', '16000', '-ac', '1', bigWav]); // 1.9 MB
    // An allowed host (by name) whose answers redirect to internal addresses.
    redirector = createServer((req, res) => {
      const target = req.url === '/to-metadata' ? 'http://169.254.169.254/latest/meta-data/' : req.url === '/to-private' ? 'http://10.0.0.1/audio.wav' : `http://127.0.0.1:${redirectorPort}/audio.wav`;
      res.writeHead(302, { Location: target }).end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    redirectorPort = (redirector.address() as AddressInfo).port;
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({ serve: { keepUploadHours: 0, maxUploadMb: 1, rateLimit: { requestsPerSec: 5, burst: 40 }, webhookSecret: 'webhook-secret-0123456789', url: { allow: ['localhost'] } } }),
    );
    server = await startServer({ env: { PARASCRIBE_CONFIG: config } });
  });

  after(async () => {
    await server?.stop();
    redirector?.close();
  });

  const jobDirs = () => (existsSync(join(server.dataDir, 'jobs')) ? readdirSync(join(server.dataDir, 'jobs')) : []);

  it('no key or a wrong key → 401 with a JSON error; health checks need none', async () => {
    for (const headers of [{}, { Authorization: 'Bearer not-a-valid-key-at-all' }, { Authorization: 'Basic abc' }] as Array<Record<string, string>>) {
      const response = await fetch(`${server.url}/v1/jobs`, { headers });
      assert.equal(response.status, 401);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED');
    }
    assert.equal((await fetch(`${server.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    const openapi = (await (await fetch(`${server.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    assert.equal(openapi.openapi, '3.1.0');
    assert.ok(openapi.paths['/v1/audio/transcriptions']);
  });

  it("another key's job → 404; a malformed id → 404, never a path", async () => {
    const { status, body } = await submitFile(server.url, smallWav, {}, TEST_KEYS[0]);
    assert.equal(status, 202);
    const other = await fetch(`${server.url}/v1/jobs/${body.id}`, { headers: authHeaders(TEST_KEYS[1]) });
    assert.equal(other.status, 404);
    for (const id of ['..%2F..%2Fparascribe.sqlite', '%2e%2e', 'j../../x']) {
      const response = await fetch(`${server.url}/v1/jobs/${id}/transcript`, { headers: authHeaders() });
      assert.equal(response.status, 404, id);
    }
    assert.equal((await waitForJob(server.url, body.id)).status, 'completed');
  });

  it('an upload over the limit → 413 and nothing left on disk', async () => {
    const before = jobDirs();
    const { status, body } = await submitFile(server.url, bigWav);
    assert.equal(status, 413);
    assert.equal(body.error.code, 'PAYLOAD_TOO_LARGE');
    assert.deepEqual(jobDirs(), before);
  });

  it('a file that is not audio → 415 (sniffed with ffprobe, whatever its name) and nothing left on disk', async () => {
    const fake = join(dir, 'notes.wav');
    writeFileSync(fake, 'meeting notes, not audio at all\n'.repeat(200));
    const before = jobDirs();
    const { status, body } = await submitFile(server.url, fake, {}, TEST_KEYS[0], 'notes.wav');
    assert.equal(status, 415, JSON.stringify(body));
    assert.equal(body.error.code, 'NOT_AUDIO');
    assert.ok(!JSON.stringify(body).includes(server.dataDir), 'no server path in the error');
    assert.deepEqual(jobDirs(), before);
  });

  it('a path-traversal filename is stored as a plain name and writes nothing outside the data dir', async () => {
    const evil = `../../../../..${dir}/escaped.wav`;
    const { status, body } = await submitFile(server.url, smallWav, {}, TEST_KEYS[0], evil);
    assert.equal(status, 202);
    const job = await waitForJob(server.url, body.id);
    assert.equal(job.source_name, 'escaped.wav');
    assert.ok(!existsSync(join(dir, 'escaped.wav')));
    // peaks.bin too when the audio was decoded (not when an earlier test's run answered it from the cache).
    assert.deepEqual((await jobFilesAfterEnd(server.dataDir, body.id)).filter((f) => f !== 'peaks.bin'), ['transcript.json']);
  });

  it('URL jobs to loopback, private and metadata addresses are refused, also through a redirect', async () => {
    const before = jobDirs();
    for (const url of [
      `http://127.0.0.1:${redirectorPort}/audio.wav`,
      'http://10.0.0.1/audio.wav',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]/audio.wav',
      'http://2130706433/audio.wav',
      'file:///etc/passwd',
      `http://localhost:${redirectorPort}/to-metadata`,
      `http://localhost:${redirectorPort}/to-private`,
      `http://localhost:${redirectorPort}/to-loopback`,
    ]) {
      const { status, body } = await postJson(server.url, { url });
      assert.equal(status, 400, `${url}: ${JSON.stringify(body)}`);
      assert.equal(body.error!.code, 'URL_REFUSED', url);
    }
    assert.deepEqual(jobDirs(), before);
  });

  it('a webhook to an internal address is refused; bad options are a 400 naming the field', async () => {
    const refused = await submitFile(server.url, smallWav, { webhook_url: 'http://169.254.169.254/hook' });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, 'URL_REFUSED');
    const bad = await submitFile(server.url, smallWav, { segment_sec: 'lots' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /segment_sec/);
    const unknown = await submitFile(server.url, smallWav, { backend: 'no-such-backend' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.code, 'UNKNOWN_BACKEND');
    const json = await fetch(`${server.url}/v1/jobs`, { method: 'POST', headers: { ...authHeaders(), 'Content-Type': 'application/json' }, body: '{not json' });
    assert.equal(json.status, 400);
  });

  it('over the per-key rate → 429 with Retry-After; other keys are unaffected', async () => {
    const statuses = await Promise.all(Array.from({ length: 60 }, () => fetch(`${server.url}/v1/jobs`, { headers: authHeaders(TEST_KEYS[4]) }).then(async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), body: await r.text() }))));
    const limited = statuses.filter((s) => s.status === 429);
    assert.ok(limited.length >= 15, `${limited.length} of 60 limited`);
    assert.ok(limited.every((s) => Number(s.retryAfter) >= 1 && JSON.parse(s.body).error.code === 'RATE_LIMITED'));
    assert.equal((await fetch(`${server.url}/v1/jobs`, { headers: authHeaders(TEST_KEYS[3]) })).status, 200);
  });

  it('--no-auth is refused on a non-loopback host, and auth without keys is refused', async () => {
    const open = await runCli(['serve', '--no-auth', '--host', '0.0.0.0', '--port', '0'], { PARASCRIBE_DATA_DIR: tempDir('noauth') });
    assert.equal(open.code, 2);
    assert.match(open.stderr, /--no-auth is only allowed on a loopback host/);
    const keyless = await runCli(['serve', '--port', '0'], { PARASCRIBE_DATA_DIR: tempDir('nokeys'), PARASCRIBE_API_KEYS: '' });
    assert.equal(keyless.code, 12);
    assert.match(keyless.stderr, /no API keys/);
    assert.doesNotMatch(open.stderr + keyless.stderr, /\n\s+at /, 'no stack trace');
  });
});
