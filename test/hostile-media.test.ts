/**
 * Issue 20, acceptance 1: media that names other files is refused at every entry point: the CLI
 * (transcribe, plan, a directory), the upload API, the OpenAI-compatible door and URL ingest (a
 * playlist served by the test's own HTTP server). Each answer is UNSUPPORTED_FORMAT (exit 25 / 415),
 * and the file the playlist names (a FIFO bait, src/audio/ffmpeg-input.test.ts shows it catches an
 * open) is never opened. Ordinary containers are covered by the rest of the suite.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, tempDir } from './helpers/cli.js';
import { ffconcatList, hlsPlaylist, makeBait, writeText, type Bait } from './helpers/hostile-media.js';
import { authHeaders, startServer, submitFile, type RunningServer } from './helpers/server.js';

const ABSOLUTE_PATH = /(^|[\s'"(=\[])\/(?!\/)\S/;

describe('hostile media at every entry point', { timeout: 300_000 }, () => {
  const dir = tempDir('hostile');
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  let absBait: Bait;
  let relBait: Bait;
  let server: RunningServer;
  let host: Server;
  let hostUrl: string;
  const media = join(dir, 'media');
  mkdirSync(media);

  // One set of inputs; the relative ones point where a job's upload would find them:
  // `<dataDir>/jobs/<id>/input.part` + `../../bait-rel.mp3` is `<dataDir>/bait-rel.mp3`.
  const inputs = () => [
    { name: 'HLS, absolute path', file: writeText(join(media, 'abs.m3u8'), hlsPlaylist(absBait.path)), format: /HLS playlist/ },
    { name: 'HLS, relative path', file: writeText(join(media, 'rel.m3u8'), hlsPlaylist('../../bait-rel.mp3')), format: /HLS playlist/ },
    { name: 'ffconcat list', file: writeText(join(media, 'list.txt'), ffconcatList('bait-rel.mp3')), format: /ffconcat list/ },
    { name: 'playlist renamed .mp3', file: writeText(join(media, 'episode.mp3'), hlsPlaylist(absBait.path)), format: /HLS playlist/ },
  ];

  before(async () => {
    absBait = makeBait(join(dir, 'secret.mp3'));
    relBait = makeBait(join(dataDir, 'bait-rel.mp3'));
    server = await startServer({ dataDir, env: { PARASCRIBE_CONFIG: writeText(join(dir, 'config.json'), JSON.stringify({ serve: { url: { allow: ['localhost'] } } })) } });
    // A "podcast host" that serves a playlist naming the server's own file.
    host = createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'audio/mpeg', 'Content-Disposition': 'attachment; filename="episode-42.mp3"' });
      res.end(req.url === '/relative.mp3' ? hlsPlaylist('../../bait-rel.mp3') : hlsPlaylist(absBait.path));
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    hostUrl = `http://localhost:${(host.address() as AddressInfo).port}`;
  });

  after(async () => {
    await server?.stop();
    host?.close();
    await absBait?.release();
    await relBait?.release();
  });

  const assertBaitsUntouched = (what: string) => {
    assert.equal(absBait.opened(), false, `${what}: the absolute-path bait was opened`);
    assert.equal(relBait.opened(), false, `${what}: the relative-path bait was opened`);
  };

  const assertRefusedBody = (what: string, status: number, body: { error?: { code: string; message: string } }, format: RegExp) => {
    assert.equal(status, 415, `${what}: ${JSON.stringify(body)}`);
    assert.equal(body.error?.code, 'UNSUPPORTED_FORMAT', what);
    assert.match(body.error!.message, format, what);
    assert.doesNotMatch(body.error!.message, ABSOLUTE_PATH, `${what}: a path in ${body.error!.message}`);
    assert.ok(!body.error!.message.includes(dataDir), what);
  };

  const jobDirs = () => (existsSync(join(dataDir, 'jobs')) ? readdirSync(join(dataDir, 'jobs')) : []);

  it('CLI transcribe and plan: exit 25, one line naming the format, no output file', async () => {
    const env = { PARASCRIBE_DATA_DIR: join(dir, 'cli-data'), XDG_CONFIG_HOME: join(dir, 'config') };
    for (const { name, file, format } of inputs()) {
      const out = join(dir, `${name.replace(/\W+/g, '-')}.txt`);
      const run = await runCli(['transcribe', file, '-q', '-o', out], env);
      assert.equal(run.code, 25, `${name}: ${run.stderr}`);
      assert.match(run.stderr, /^parascribe: error\[UNSUPPORTED_FORMAT\]: .*unsupported format: /m, name);
      assert.match(run.stderr, format, name);
      assert.doesNotMatch(run.stderr, /\n\s+at /, `${name}: stack trace`);
      assert.equal(existsSync(out), false, `${name}: an output was written`);
      const plan = await runCli(['plan', file], env);
      assert.equal(plan.code, 25, `${name} (plan): ${plan.stderr}`);
      assertBaitsUntouched(name);
    }
    // The failure is on record like any other.
    const jobs = await runCli(['jobs'], env);
    assert.equal((jobs.stdout.match(/failed/g) ?? []).length, inputs().length, jobs.stdout);
  });

  it('CLI on a directory: playlists are not audio files to transcribe', async () => {
    const env = { PARASCRIBE_DATA_DIR: join(dir, 'cli-data-2'), XDG_CONFIG_HOME: join(dir, 'config') };
    const run = await runCli(['transcribe', media, '-q'], env);
    assert.equal(run.code, 4, run.stderr);
    assert.match(run.stderr, /NO_AUDIO_FILES/);
    assertBaitsUntouched('directory');
  });

  it('POST /v1/jobs (multipart upload): 415 UNSUPPORTED_FORMAT, no job, nothing left on disk', async () => {
    for (const { name, file, format } of inputs()) {
      const { status, body } = await submitFile(server.url, file, {}, undefined, 'meeting.mp3');
      assertRefusedBody(`upload ${name}`, status, body, format);
      assert.match(body.error.message, /"meeting\.mp3"/, 'the upload is named by the client filename');
      assertBaitsUntouched(`upload ${name}`);
    }
    assert.deepEqual(jobDirs(), []);
    const list = (await (await fetch(`${server.url}/v1/jobs`, { headers: authHeaders() })).json()) as { data: unknown[] };
    assert.equal(list.data.length, 0);
  });

  it('POST /v1/audio/transcriptions (OpenAI door): 415 UNSUPPORTED_FORMAT', async () => {
    const { readFile } = await import('node:fs/promises');
    for (const { name, file, format } of inputs()) {
      const form = new FormData();
      form.set('file', new Blob([await readFile(file)]), 'call.mp3');
      form.set('model', 'whisper-1');
      const response = await fetch(`${server.url}/v1/audio/transcriptions`, { method: 'POST', body: form, headers: authHeaders() });
      assertRefusedBody(`openai ${name}`, response.status, (await response.json()) as { error?: { code: string; message: string } }, format);
      assertBaitsUntouched(`openai ${name}`);
    }
    assert.deepEqual(jobDirs(), []);
  });

  it('POST /v1/jobs {url}: a playlist served by a web host is refused the same way', async () => {
    for (const path of ['/absolute.mp3', '/relative.mp3']) {
      const response = await fetch(`${server.url}/v1/jobs`, {
        method: 'POST',
        headers: { ...authHeaders(), 'Content-Type': 'application/json' },
        body: JSON.stringify({ url: `${hostUrl}${path}` }),
      });
      const body = (await response.json()) as { error?: { code: string; message: string } };
      assertRefusedBody(`url ${path}`, response.status, body, /HLS playlist/);
      assert.match(body.error!.message, /"episode-42\.mp3"/);
      assertBaitsUntouched(`url ${path}`);
    }
    assert.deepEqual(jobDirs(), []);
  });
});
