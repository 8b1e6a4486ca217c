import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnergyPauseDetector } from './energy.js';

const RATE = 16000;

/** Builds PCM from [seconds, amplitude] runs: a 220 Hz tone at the amplitude, plus light noise. */
function pcm(runs: Array<[number, number]>, noise = 0): Buffer {
  const total = runs.reduce((n, [sec]) => n + Math.round(sec * RATE), 0);
  const buffer = Buffer.alloc(total * 2);
  let i = 0;
  let seed = 7;
  for (const [sec, amplitude] of runs) {
    for (let n = 0; n < Math.round(sec * RATE); n++, i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const jitter = noise * ((seed / 2 ** 31) * 2 - 1);
      buffer.writeInt16LE(Math.round(amplitude * Math.sin((2 * Math.PI * 220 * i) / RATE) + jitter), i * 2);
    }
  }
  return buffer;
}

function detect(buffer: Buffer, chunkBytes: number) {
  const detector = new EnergyPauseDetector();
  for (let offset = 0; offset < buffer.length; offset += chunkBytes) detector.push(buffer.subarray(offset, offset + chunkBytes));
  return detector.finish().map((p) => [Number(p.startSec.toFixed(2)), Number(p.endSec.toFixed(2))]);
}

test('energy detector: finds pauses between loud runs, whatever the chunking (odd sizes included)', () => {
  const audio = pcm([[2, 8000], [0.5, 0], [2, 8000], [1, 0], [2, 8000]]);
  for (const chunkBytes of [4096, 3, 1001, audio.length]) {
    assert.deepEqual(detect(audio, chunkBytes), [[2, 2.5], [4.5, 5.5]], `chunk ${chunkBytes}`);
  }
});

test('energy detector: pauses shorter than the minimum are ignored; a trailing silence is reported', () => {
  assert.deepEqual(detect(pcm([[2, 8000], [0.1, 0], [2, 8000], [1, 0]]), 4096), [[4.1, 5.1]]);
});

test('energy detector: adapts to a noisy recording (noise floor well above digital silence)', () => {
  // Background noise at about -40 dBFS: a fixed -60 dB threshold would find nothing.
  const audio = pcm([[3, 8000], [0.6, 0], [3, 8000], [0.6, 0], [3, 8000]], 600);
  const pauses = detect(audio, 8192);
  assert.equal(pauses.length, 2);
  assert.ok(Math.abs(pauses[0]![0]! - 3) < 0.1 && Math.abs(pauses[1]![0]! - 6.6) < 0.1, JSON.stringify(pauses));
});

test('energy detector: speech-level audio throughout gives no pauses', () => {
  assert.deepEqual(detect(pcm([[10, 6000]], 300), 4096), []);
});

test('energy detector: finalSec never passes the start of a pause not yet reported, and never goes back', () => {
  const audio = pcm([[2, 8000], [0.5, 0], [1, 8000], [3, 0], [2, 8000], [0.1, 0], [1, 8000], [1.5, 0]], 200);
  for (const chunkBytes of [640, 4096, 77_777]) {
    const detector = new EnergyPauseDetector();
    const seen: Array<{ finalSec: number; reported: number }> = [];
    for (let offset = 0; offset < audio.length; offset += chunkBytes) {
      detector.push(audio.subarray(offset, offset + chunkBytes));
      seen.push({ finalSec: detector.finalSec, reported: detector.pauses.length });
    }
    const all = detector.finish();
    assert.equal(all.length, 3, JSON.stringify(all));
    let previousSec = 0;
    for (const { finalSec, reported } of seen) {
      assert.ok(finalSec >= previousSec, 'finalSec is monotone');
      previousSec = finalSec;
      for (const later of all.slice(reported)) assert.ok(later.startSec >= finalSec - 1e-9, `pause at ${later.startSec} s reported after finalSec ${finalSec}`);
    }
    // While the 3 s silence is open, finalSec waits at its start (3.5 s) although more audio was seen.
    assert.ok(seen.some((s) => Math.abs(s.finalSec - 3.5) < 0.03 && s.reported === 1));
    assert.ok(previousSec <= audio.length / 2 / RATE);
  }
});
