/**
 * Issue 20, acceptance 3: a recording longer than `limits.maxAudioSec` is refused before anything is
 * decoded, through the CLI (exit 26) and the API (413, no job, nothing on disk); raising the limit in
 * the config file lets the same file through. The long file is an hour of digital silence in FLAC
 * (about 0.6 MB: cheap to upload, an hour to transcribe). A container that under-reports its length
 * gets past the probe and is stopped by the decoder at the limit.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FIXTURES, ffmpeg, runCli, tempDir } from './helpers/cli.js';
import { authHeaders, startServer, submitFile, waitForJob, type RunningServer } from './helpers/server.js';

describe('per-job limits: audio duration', { timeout: 300_000 }, () => {
  const dir = tempDir('limits');
  const silence = join(dir, 'silence-1h.flac');
  ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=8000:cl=mono', '-t', '3600', '-c:a', 'flac', silence]);
  const speech = join(dir, 'jfk.wav');
  ffmpeg(['-i', join(FIXTURES, 'jfk.wav'), '-ar', '16000', '-ac', '1', speech]); // 11 s
  // 60 s of tone whose Matroska Duration element says 5 s.
  const lying = join(dir, 'lying.mkv');
  ffmpeg(['-f', 'lavfi', '-i', 'sine=f=300:d=60', '-ar', '16000', '-ac', '1', '-c:a', 'libopus', '-b:a', '16k', lying]);
  const bytes = readFileSync(lying);
  bytes.writeDoubleBE(5000, bytes.indexOf(Buffer.from([0x44, 0x89, 0x88])) + 3);
  writeFileSync(lying, bytes);

  const configWith = (name: string, maxAudioSec: number) => {
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify({ limits: { maxAudioSec } }));
    return path;
  };
  const servers: RunningServer[] = [];
  after(async () => {
    for (const server of servers) await server.stop();
  });

  it('CLI: over the limit → exit 26 before decoding; the limit raised in the config file lets it through', async () => {
    const env = (config: string) => ({ PARASCRIBE_DATA_DIR: join(dir, 'cli-data'), XDG_CONFIG_HOME: join(dir, 'xdg'), PARASCRIBE_CONFIG: config });
    const tight = configWith('cli-30min', 1800);
    const out = join(dir, 'silence.txt');
    const refused = await runCli(['transcribe', silence, '-q', '-o', out], env(tight));
    assert.equal(refused.code, 26, refused.stderr);
    // The probe's refusal (the decoder's would say "runs past").
    assert.match(refused.stderr, /^parascribe: error\[AUDIO_TOO_LONG\]: .*silence-1h\.flac: the recording is 1 h 00 min long; this server takes at most 30 min 00 s per job \(limits\.maxAudioSec = 1800\)$/m);
    assert.equal(existsSync(out), false);
    const jobs = await runCli(['jobs', '--json'], env(tight));
    assert.match(jobs.stdout, /AUDIO_TOO_LONG/);
    // Raised: the hour is probed, decoded and planned (--plan-only: transcribing an hour of silence is not the point).
    const raised = await runCli(['transcribe', silence, '--plan-only', '--json', '-q'], env(configWith('cli-2h', 7200)));
    assert.equal(raised.code, 0, raised.stderr);
    const plan = JSON.parse(raised.stdout) as { durationSec: number };
    assert.ok(Math.abs(plan.durationSec - 3600) < 1, raised.stdout);

    // And a recording that is transcribed: refused at 5 s, through at 30 s.
    const speechOut = join(dir, 'jfk.txt');
    const short = await runCli(['transcribe', speech, '-q', '-o', speechOut], env(configWith('cli-5s', 5)));
    assert.equal(short.code, 26, short.stderr);
    const through = await runCli(['transcribe', speech, '-q', '-o', speechOut], env(configWith('cli-30s', 30)));
    assert.equal(through.code, 0, through.stderr);
    assert.match(readFileSync(speechOut, 'utf8'), /country/);
  });

  it('CLI: a container that under-reports its length is stopped by the decoder at the limit', async () => {
    const env = { PARASCRIBE_DATA_DIR: join(dir, 'cli-data-2'), XDG_CONFIG_HOME: join(dir, 'xdg'), PARASCRIBE_CONFIG: configWith('lie-30s', 30) };
    const run = await runCli(['transcribe', lying, '-q', '-o', join(dir, 'lying.txt')], env);
    assert.equal(run.code, 26, run.stderr);
    assert.match(run.stderr, /AUDIO_TOO_LONG.*runs past 30 s.*under-reported its length/);
    assert.equal(existsSync(join(dir, 'lying.txt')), false);
  });

  it('API: 413 AUDIO_TOO_LONG with no job and nothing on disk; raised in the config file, the same upload is accepted', async () => {
    const tight = await startServer({ env: { PARASCRIBE_CONFIG: configWith('serve-30min', 1800) } });
    servers.push(tight);
    const { status, body } = await submitFile(tight.url, silence, {}, undefined, 'silence.flac');
    assert.equal(status, 413, JSON.stringify(body));
    assert.equal(body.error.code, 'AUDIO_TOO_LONG');
    assert.match(body.error.message, /^"silence\.flac": the recording is 1 h 00 min long; this server takes at most 30 min 00 s per job/);
    assert.deepEqual(existsSync(join(tight.dataDir, 'jobs')) ? readdirSync(join(tight.dataDir, 'jobs')) : [], []);
    // The OpenAI door too.
    const form = new FormData();
    form.set('file', new Blob([readFileSync(silence)]), 'silence.flac');
    form.set('model', 'whisper-1');
    const door = await fetch(`${tight.url}/v1/audio/transcriptions`, { method: 'POST', body: form, headers: authHeaders() });
    assert.equal(door.status, 413);
    assert.equal(((await door.json()) as { error: { code: string } }).error.code, 'AUDIO_TOO_LONG');
    // A short recording on the same server is transcribed.
    const ok = await submitFile(tight.url, speech);
    assert.equal(ok.status, 202);
    assert.equal((await waitForJob(tight.url, ok.body.id)).status, 'completed');

    const raised = await startServer({ env: { PARASCRIBE_CONFIG: configWith('serve-2h', 7200) } });
    servers.push(raised);
    const accepted = await submitFile(raised.url, silence, {}, undefined, 'silence.flac');
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    // Accepted is the point; an hour of silence need not be transcribed here.
    const cancelled = await fetch(`${raised.url}/v1/jobs/${accepted.body.id}`, { method: 'DELETE', headers: authHeaders() });
    assert.equal(cancelled.status, 200);
  });

  it('API: the decoder stops a lying container at the limit and the job fails with AUDIO_TOO_LONG', async () => {
    const server = await startServer({ env: { PARASCRIBE_CONFIG: configWith('serve-30s', 30) } });
    servers.push(server);
    const lie = await submitFile(server.url, lying, {}, undefined, 'lying.mkv');
    assert.equal(lie.status, 202, JSON.stringify(lie.body));
    const ended = await waitForJob(server.url, lie.body.id);
    assert.equal(ended.status, 'failed');
    assert.equal(ended.error.code, 'AUDIO_TOO_LONG');
    assert.match(ended.error.message, /^"lying\.mkv": the decoded audio runs past 30 s/);
  });
});
