import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downsamplePeaks, peaksPartPath, PeaksWriter, readPeaks, SAMPLES_PER_PEAK } from './peaks.js';

function pcm(samples: number[]): Buffer {
  const buffer = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => buffer.writeInt16LE(s, i * 2));
  return buffer;
}

test('PeaksWriter: one byte per 320 samples, the largest magnitude scaled to 0-255, whatever the chunking', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peaks-'));
  // Three peaks: silence, a negative spike of full scale, a quiet tail (half a bucket).
  const samples = [...Array(SAMPLES_PER_PEAK).fill(0), ...Array(SAMPLES_PER_PEAK).fill(100).map((v, i) => (i === 7 ? -32768 : v)), ...Array(SAMPLES_PER_PEAK / 2).fill(1280)];
  const bytes = pcm(samples);
  for (const chunkSize of [bytes.length, 1, 3, 641]) {
    const path = join(dir, `peaks-${chunkSize}.bin`);
    const writer = new PeaksWriter(path);
    for (let i = 0; i < bytes.length; i += chunkSize) writer.push(bytes.subarray(i, i + chunkSize));
    assert.equal(await writer.finish(), true);
    assert.deepEqual([...readFileSync(path)], [0, 255, 10], `chunks of ${chunkSize} bytes`);
    assert.equal(existsSync(peaksPartPath(path)), false, 'the growing file took its final name');
  }
});

test('PeaksWriter: readable while it grows; abort leaves the part, finish after abort does nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peaks-'));
  const path = join(dir, 'peaks.bin');
  const writer = new PeaksWriter(path);
  // 300 peaks: more than one flush.
  writer.push(pcm(Array(SAMPLES_PER_PEAK * 300).fill(64)));
  await new Promise((r) => setTimeout(r, 50));
  const growing = await readPeaks(path);
  assert.equal(growing?.complete, false);
  assert.ok(growing!.bytes.length >= 250, `${growing!.bytes.length} peaks readable before the end`);
  await writer.abort();
  assert.equal(await writer.finish(), false);
  assert.equal((await readPeaks(path))?.complete, false);
  assert.equal(await readPeaks(join(dir, 'none.bin')), undefined);
});

test('downsamplePeaks: the maximum of each span, 0-1, never more points than peaks', () => {
  const bytes = Uint8Array.from([0, 255, 0, 51, 102, 0]);
  assert.deepEqual(downsamplePeaks(bytes, 3), [1, 0.2, 0.4]);
  assert.deepEqual(downsamplePeaks(bytes, 100), [0, 1, 0, 0.2, 0.4, 0]);
  assert.deepEqual(downsamplePeaks(bytes, 1), [1]);
  assert.deepEqual(downsamplePeaks(new Uint8Array(0), 10), []);
});
