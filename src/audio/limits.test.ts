/**
 * The per-job cost limits: the probe's duration check (a table), the decoder's byte cap, and a real
 * container that lies about its length (a Matroska file whose Duration says 5 s over 60 s of audio):
 * the probe believes it, the decoder stops at the limit with AUDIO_TOO_LONG.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ffmpeg } from '../../test/helpers/cli.js';
import { DEFAULT_LIMITS } from '../config/limits.js';
import { isParascribeError } from '../errors.js';
import { BYTES_PER_SEC, decodeToPcmFile } from './decode.js';
import { checkAudioDuration, decodeDeadline, decodeLimit } from './limits.js';
import { probeAudio } from './probe.js';

const dir = mkdtempSync(join(tmpdir(), 'parascribe-limits-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('checkAudioDuration: at or under the limit passes, over it is AUDIO_TOO_LONG naming both lengths and the key', () => {
  const limits = { ...DEFAULT_LIMITS, maxAudioSec: 3600 };
  const cases: Array<[number | null, RegExp | null]> = [
    [null, null], // unknown: the decoder's cap decides
    [10, null],
    [3600, null],
    [3600.5, /the recording is 1 h 00 min long; this server takes at most 1 h 00 min per job \(limits\.maxAudioSec = 3600\)/],
    [7200, /2 h 00 min long/],
    [90_000, /25 h 00 min long/],
  ];
  for (const [durationSec, message] of cases) {
    const run = () => checkAudioDuration({ path: 'talk.opus', durationSec }, limits);
    if (!message) assert.doesNotThrow(run, String(durationSec));
    else assert.throws(run, (error: unknown) => isParascribeError(error) && error.code === 'AUDIO_TOO_LONG' && message.test(error.message), String(durationSec));
  }
});

test('decodeLimit: the smaller of the duration (plus a second) and the disk cap, with a reason naming its key', () => {
  const byDuration = decodeLimit({ maxAudioSec: 60, maxDecodedMb: 2048 });
  assert.equal(byDuration.bytes, 61 * BYTES_PER_SEC);
  assert.match(byDuration.reason, /limits\.maxAudioSec = 60/);
  const byDisk = decodeLimit({ maxAudioSec: 36_000, maxDecodedMb: 1 });
  assert.equal(byDisk.bytes, 1024 * 1024);
  assert.match(byDisk.reason, /more than 1 MiB .*limits\.maxDecodedMb = 1/);
  // The defaults: 10 h per job, the disk cap above it.
  assert.equal(decodeLimit(DEFAULT_LIMITS).bytes, 36_001 * BYTES_PER_SEC);
});

/** A 60 s Matroska file whose Segment Info says 5 s (the Duration element patched). */
function lyingMatroska(path: string): void {
  const honest = join(dir, 'honest.mkv');
  ffmpeg(['-f', 'lavfi', '-i', 'sine=f=300:d=60', '-ar', '16000', '-ac', '1', '-c:a', 'libopus', '-b:a', '16k', honest]);
  const bytes = readFileSync(honest);
  const at = bytes.indexOf(Buffer.from([0x44, 0x89, 0x88])); // Duration, an 8-byte float (ms)
  assert.ok(at > 0, 'no Duration element');
  bytes.writeDoubleBE(5000, at + 3);
  writeFileSync(path, bytes);
}

test('a container that under-reports its length: the probe passes it, the decoder stops at the limit', async () => {
  const path = join(dir, 'lie.mkv');
  lyingMatroska(path);
  const info = await probeAudio(path);
  assert.ok(info.durationSec !== null && info.durationSec < 6, `probe says ${info.durationSec}`);
  const limits = { maxAudioSec: 30, maxDecodedMb: 2048 };
  checkAudioDuration(info, limits);
  const pcm = join(dir, 'lie.pcm');
  await assert.rejects(decodeToPcmFile(info, pcm, { maxBytes: decodeLimit(limits) }), (error: unknown) => {
    assert.ok(isParascribeError(error));
    assert.equal(error.code, 'AUDIO_TOO_LONG');
    assert.match(error.message, /runs past 30 s.*under-reported its length/);
    return true;
  });
  // What reached the disk stayed under the cap.
  assert.ok(readFileSync(pcm).length <= decodeLimit(limits).bytes);
  // With the limit raised it decodes whole (and is then truncated-checked against its header, which it passes: it is longer).
  const whole = await decodeToPcmFile(info, pcm, { maxBytes: decodeLimit({ maxAudioSec: 120, maxDecodedMb: 2048 }) });
  assert.ok(Math.abs(whole.durationSec - 60) < 0.5, String(whole.durationSec));
});

test('decodeDeadline: a decode that runs past limits.maxDecodeSec is killed with DECODE_TIMEOUT', async () => {
  // An hour of Opus silence at its lowest rate (about 200 kB): far more than 0.3 s of decoding.
  const minute = join(dir, 'minute.opus');
  ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=mono', '-t', '60', '-c:a', 'libopus', '-b:a', '500', '-frame_duration', '120', minute]);
  const hour = join(dir, 'hour.opus');
  ffmpeg(['-stream_loop', '59', '-i', minute, '-c', 'copy', hour]);
  const info = await probeAudio(hour);
  const started = performance.now();
  await assert.rejects(decodeToPcmFile(info, join(dir, 'hour.pcm'), { maxDecodeMs: decodeDeadline({ maxDecodeSec: 0.3 }) }), (error: unknown) => {
    assert.ok(isParascribeError(error));
    assert.equal(error.code, 'DECODE_TIMEOUT');
    assert.match(error.message, /decoding took longer than 0.3 s, the most one job may spend on it \(limits\.maxDecodeSec = 0\.3\)/);
    return true;
  });
  // Killed at the deadline, not after the whole hour (generous: the machine is shared).
  assert.ok(performance.now() - started < 20_000);
  // A deadline it meets changes nothing.
  const short = await probeAudio(minute);
  const decoded = await decodeToPcmFile(short, join(dir, 'minute.pcm'), { maxDecodeMs: decodeDeadline({ maxDecodeSec: 60 }) });
  assert.ok(Math.abs(decoded.durationSec - 60) < 0.5);
});
