/**
 * The in-process FLAC encoder against the reference: ffmpeg must decode every file bit-exactly, with
 * no error (CRC checks on), ffprobe must read the right length, and STREAMINFO's MD5 must be the
 * PCM's. Inputs: real speech, silence, a single sample, lengths off the block grid, full-scale noise
 * and square waves (residual overflow), stereo, other sample rates and block sizes, odd chunking.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { encodeFlac, FlacEncoder, type FlacEncoderOptions } from './encoder.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const FIXTURES = process.env.PARASCRIBE_FIXTURES ?? join(ROOT, '..', 'shared', 'fixtures');
const MAX_BUFFER = 256 * 1024 * 1024;

let dir = '';
let files = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parascribe-flac-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Any audio file as 16 kHz mono s16le, via ffmpeg. */
async function toPcm(path: string): Promise<Buffer> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', path, '-f', 's16le', '-ar', '16000', '-ac', '1', '-'], {
    encoding: 'buffer',
    maxBuffer: MAX_BUFFER,
  });
  return stdout;
}

function encode(pcm: Buffer, options: FlacEncoderOptions = { sampleRate: 16000 }, chunk = 65536): Buffer {
  const encoder = new FlacEncoder(options);
  for (let offset = 0; offset < pcm.length; offset += chunk) encoder.push(pcm.subarray(offset, offset + chunk));
  return encoder.finish();
}

interface Decoded {
  pcm: Buffer;
  stderr: string;
  sampleRate: number;
  channels: number;
  durationTs: number;
}

/** Decodes with ffmpeg (CRC checks on) and probes with ffprobe. */
async function decode(flac: Buffer): Promise<Decoded> {
  const path = join(dir, `in-${files++}.flac`);
  await writeFile(path, flac);
  const decoded = await run('ffmpeg', ['-v', 'error', '-err_detect', 'crccheck', '-i', path, '-f', 's16le', '-'], {
    encoding: 'buffer',
    maxBuffer: MAX_BUFFER,
  });
  const probe = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=sample_rate,channels,duration_ts', '-of', 'json', path]);
  const stream = (JSON.parse(probe.stdout) as { streams: Array<{ sample_rate: string; channels: number; duration_ts: number }> }).streams[0]!;
  return {
    pcm: decoded.stdout,
    stderr: decoded.stderr.toString('utf8') + probe.stderr,
    sampleRate: Number(stream.sample_rate),
    channels: stream.channels,
    durationTs: stream.duration_ts,
  };
}

/** STREAMINFO's fields (RFC 9639 §8.2), read back from the file's head. */
function streamInfo(flac: Buffer) {
  const b = flac.subarray(8, 42);
  return {
    minBlock: b.readUInt16BE(0),
    maxBlock: b.readUInt16BE(2),
    minFrame: b.readUIntBE(4, 3),
    maxFrame: b.readUIntBE(7, 3),
    sampleRate: b.readUIntBE(10, 3) >>> 4,
    channels: ((b[12]! >>> 1) & 0x7) + 1,
    bitsPerSample: (((b[12]! & 1) << 4) | (b[13]! >>> 4)) + 1,
    totalSamples: (b[13]! & 0x0f) * 2 ** 32 + b.readUInt32BE(14),
    md5: b.subarray(18, 34).toString('hex'),
  };
}

/** Encodes, decodes and checks everything; returns the file. */
async function roundTrip(pcm: Buffer, options: FlacEncoderOptions = { sampleRate: 16000 }, chunk?: number): Promise<Buffer> {
  const flac = encode(pcm, options, chunk);
  const channels = options.channels ?? 1;
  const samples = pcm.length / 2 / channels;
  const decoded = await decode(flac);
  assert.equal(decoded.stderr, '', 'ffmpeg and ffprobe report no error');
  assert.ok(decoded.pcm.equals(pcm), `bit-exact (${decoded.pcm.length} bytes decoded, ${pcm.length} in)`);
  assert.equal(decoded.sampleRate, options.sampleRate);
  assert.equal(decoded.channels, channels);
  if (samples > 0) assert.equal(decoded.durationTs, samples, 'ffprobe: sample count');
  const info = streamInfo(flac);
  assert.equal(info.totalSamples, samples);
  assert.equal(info.sampleRate, options.sampleRate);
  assert.equal(info.channels, channels);
  assert.equal(info.bitsPerSample, 16);
  assert.equal(info.minBlock, options.blockSize ?? 4096);
  assert.equal(info.maxBlock, options.blockSize ?? 4096);
  assert.equal(info.md5, createHash('md5').update(pcm).digest('hex'), 'STREAMINFO MD5 is the PCM');
  assert.ok(info.minFrame <= info.maxFrame && info.maxFrame <= flac.length);
  return flac;
}

/** Deterministic PCM from a sample function. */
function pcmOf(samples: number, at: (i: number) => number, channels = 1): Buffer {
  const out = Buffer.alloc(samples * 2 * channels);
  for (let i = 0; i < samples * channels; i++) out.writeInt16LE(at(i), i * 2);
  return out;
}

function noise(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state >>> 16) - 32768; // full scale, -32768..32767
  };
}

let jfk: Buffer;
let gpl: Buffer;
before(async () => {
  [jfk, gpl] = await Promise.all([toPcm(join(FIXTURES, 'jfk.wav')), toPcm(join(FIXTURES, 'gpl-preamble.mp3'))]);
});

async function ffmpegFlacBytes(pcm: Buffer): Promise<number> {
  const path = join(dir, `raw-${files++}.pcm`);
  await writeFile(path, pcm);
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-f', 's16le', '-ar', '16000', '-ac', '1', '-i', path, '-c:a', 'flac', '-compression_level', '5', '-f', 'flac', '-'],
    { encoding: 'buffer', maxBuffer: MAX_BUFFER },
  );
  return stdout.length;
}

test('speech: jfk (11 s) and the GPL preamble (207 s) decode bit-exactly; size vs ffmpeg -compression_level 5', async (t) => {
  for (const [name, pcm] of [['jfk', jfk], ['gpl-preamble', gpl]] as const) {
    const started = performance.now();
    const flac = encode(pcm);
    const ms = performance.now() - started;
    await roundTrip(pcm);
    const reference = await ffmpegFlacBytes(pcm);
    assert.ok(flac.length < pcm.length * 0.7, `${name} compresses`);
    assert.ok(flac.length < reference * 1.15, `${name}: within 15 % of ffmpeg's size`);
    t.diagnostic(
      `${name}: ${(pcm.length / 32000).toFixed(1)} s, pcm ${pcm.length} B, ours ${flac.length} B ` +
        `(${((100 * flac.length) / pcm.length).toFixed(1)} %), ffmpeg level 5 ${reference} B ` +
        `(${((100 * reference) / pcm.length).toFixed(1)} %), ours/ffmpeg ${(flac.length / reference).toFixed(3)}, encode ${ms.toFixed(0)} ms`,
    );
  }
});

test('digital silence is CONSTANT subframes; a single sample; no samples at all', async () => {
  const silence = Buffer.alloc(10 * 32000);
  const flac = await roundTrip(silence);
  assert.ok(flac.length < 42 + 40 * 12, `silence is tiny (${flac.length} B)`);
  await roundTrip(pcmOf(1, () => -12345));
  await roundTrip(pcmOf(1, () => 0));
  await roundTrip(pcmOf(5, (i) => [1, 1, 1, 1, -7][i]!)); // shorter than any predictor's warm-up + 1
  const empty = encode(Buffer.alloc(0));
  assert.equal(empty.length, 42);
  assert.equal(empty.subarray(0, 4).toString('latin1'), 'fLaC');
  assert.equal(streamInfo(empty).totalSamples, 0);
  assert.equal((await decode(empty)).stderr, '');
});

test('lengths off the 4096-sample grid (short last block, 8- and 16-bit block-size codes)', async () => {
  for (const samples of [2, 3, 17, 255, 256, 257, 4095, 4097, 3 * 4096 + 1234]) await roundTrip(jfk.subarray(0, samples * 2));
});

test('full-scale white noise and square waves: no residual overflow, never much bigger than raw', async () => {
  const random = noise(1);
  const cases: Array<[string, Buffer]> = [
    ['white noise', pcmOf(3 * 4096 + 100, random)],
    ['square, period 2 (-32768/32767)', pcmOf(4096 + 33, (i) => (i % 2 ? 32767 : -32768))],
    ['square, period 3', pcmOf(4096 + 33, (i) => (i % 3 ? 32767 : -32768))],
    ['square, period 64', pcmOf(2 * 4096, (i) => (i & 32 ? 32767 : -32768))],
    ['impulses at full scale', pcmOf(4096, (i) => (i % 5 === 0 ? -32768 : i % 7 === 0 ? 32767 : 0))],
  ];
  for (const [name, pcm] of cases) {
    const flac = await roundTrip(pcm);
    const frames = Math.ceil(pcm.length / 2 / 4096);
    assert.ok(flac.length <= 42 + pcm.length + frames * 16, `${name}: ${flac.length} B for ${pcm.length} B of PCM`);
  }
});

test('chunks split at odd byte boundaries give the same file', async () => {
  const pcm = jfk.subarray(0, 5 * 4096 * 2 + 1000);
  const whole = encode(pcm, { sampleRate: 16000 }, pcm.length);
  for (const chunk of [1, 3, 7, 4097, 8191]) assert.ok(encode(pcm, { sampleRate: 16000 }, chunk).equals(whole), `chunks of ${chunk} bytes`);
  // Irregular sizes, each possibly splitting a sample.
  const encoder = new FlacEncoder({ sampleRate: 16000 });
  const sizes = [1, 2, 1, 5, 3, 999, 1, 4096, 13];
  for (let offset = 0, i = 0; offset < pcm.length; i++) {
    const size = sizes[i % sizes.length]!;
    encoder.push(pcm.subarray(offset, offset + size));
    offset += size;
  }
  assert.ok(encoder.finish().equals(whole), 'irregular chunks');
  await roundTrip(pcm, { sampleRate: 16000 }, 3);
  // A trailing odd byte is not a sample: it is dropped, as ffmpeg does.
  const odd = Buffer.concat([pcm.subarray(0, 1000), Buffer.from([0x7f])]);
  assert.ok(encode(odd).equals(encode(pcm.subarray(0, 1000))));
});

test('stereo, other sample rates, other block sizes and 3-byte frame numbers', async () => {
  const speech = jfk.subarray(0, 3 * 4096 * 2 + 500);
  const left = new Int16Array(speech.buffer.slice(speech.byteOffset, speech.byteOffset + speech.length));
  await roundTrip(pcmOf(left.length, (i) => (i % 2 ? -left[i >> 1]! : left[i >> 1]!), 2), { sampleRate: 16000, channels: 2 });
  for (const sampleRate of [8000, 11025, 44100, 48000, 12345, 96000, 100000, 64000])
    await roundTrip(speech, { sampleRate }); // named codes, Hz in 16 bits, tens of Hz, kHz in 8 bits
  for (const blockSize of [16, 192, 576, 1000, 1152, 4608, 8192, 65535]) await roundTrip(speech, { sampleRate: 16000, blockSize });
  // 4100 frames of 16 samples: frame numbers past 2047 take 3 bytes in FLAC's UTF-8 coding.
  await roundTrip(jfk.subarray(0, 4100 * 16 * 2), { sampleRate: 16000, blockSize: 16 });
  assert.throws(() => new FlacEncoder({ sampleRate: 0 }), RangeError);
  assert.throws(() => new FlacEncoder({ sampleRate: 16000, blockSize: 8 }), RangeError);
});

test('encodeFlac: an async stream in, the same file out; an aborted signal stops it', async () => {
  const pcm = jfk.subarray(0, 50_001);
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let offset = 0; offset < pcm.length; offset += 4099) yield pcm.subarray(offset, offset + 4099);
  }
  assert.ok((await encodeFlac(chunks(), { sampleRate: 16000 })).equals(encode(pcm)));
  await assert.rejects(encodeFlac(chunks(), { sampleRate: 16000 }, AbortSignal.abort()), { code: 'ABORTED' });
  const controller = new AbortController();
  async function* abortMidway(): AsyncGenerator<Buffer> {
    yield pcm.subarray(0, 1000);
    controller.abort();
    yield pcm.subarray(1000, 2000);
  }
  await assert.rejects(encodeFlac(abortMidway(), { sampleRate: 16000 }, controller.signal), { code: 'ABORTED' });
});

test('a flipped bit is caught by the CRC check (the decode check has teeth)', async () => {
  const flac = Buffer.from(encode(jfk.subarray(0, 8192 * 2)));
  flac[2000]! ^= 0x10;
  const decoded = await decode(flac).catch((error: { stderr?: Buffer }) => ({ stderr: String(error.stderr) }));
  assert.match(decoded.stderr, /CRC/);
});
