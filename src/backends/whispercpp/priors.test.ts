import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modelSize, RTF_AT_8_THREADS, whispercppPrior } from './priors.js';

test('whisper.cpp model size from the file name, else from its bytes', () => {
  const cases: Array<[path: string, bytes: number, size: ReturnType<typeof modelSize>]> = [
    ['/m/ggml-base.en.bin', 147_951_465, 'base'],
    ['/m/ggml-large-v3-turbo-q5_0.bin', 574_041_195, 'turbo'],
    ['/m/ggml-small.bin', 487_601_967, 'small'],
    ['/m/ggml-medium.en-q8_0.bin', 823_000_000, 'medium'],
    ['/m/ggml-tiny.en.bin', 77_704_715, 'tiny'],
    ['/m/ggml-large-v2.bin', 3_094_623_691, 'large'],
    ['/m/custom.bin', 77_000_000, 'tiny'],
    ['/m/custom.bin', 1_500_000_000, 'medium'],
    ['/m/custom.bin', 3_000_000_000, 'large'],
  ];
  for (const [path, bytes, size] of cases) assert.equal(modelSize(path, bytes), size, path);
});

test('whisper.cpp prior: RTF by size and threads, oversubscription, GPU; a model load per extra worker', () => {
  const base = { modelPath: '/m/ggml-base.en.bin', modelBytes: 148e6, threads: 8, maxWorkers: 1, useGpu: false, cores: 8 };
  const cases: Array<{ name: string; options: Partial<typeof base>; rtf: number }> = [
    { name: 'base at 8 threads', options: {}, rtf: RTF_AT_8_THREADS.base },
    { name: 'large at 8 threads', options: { modelPath: '/m/ggml-large-v3.bin' }, rtf: RTF_AT_8_THREADS.large },
    { name: 'base at 2 threads', options: { threads: 2 }, rtf: RTF_AT_8_THREADS.base * 4 ** 0.8 },
    { name: 'two workers of 8 threads on 8 cores share them', options: { maxWorkers: 2 }, rtf: RTF_AT_8_THREADS.base * 2 },
    { name: 'on a GPU', options: { useGpu: true, maxWorkers: 2 }, rtf: RTF_AT_8_THREADS.base / 10 },
  ];
  for (const c of cases) {
    const prior = whispercppPrior({ ...base, ...c.options });
    assert.ok(Math.abs(prior.model.rtf - c.rtf) < 1e-9, `${c.name}: ${prior.model.rtf} vs ${c.rtf}`);
    assert.equal(prior.model.k, c.options.maxWorkers ?? 1, c.name);
  }
  assert.equal(whispercppPrior(base).model.coldStart.kind, 'none', 'one worker: check() warmed it');
  const pool = whispercppPrior({ ...base, maxWorkers: 4, modelBytes: 1.5e9 });
  assert.equal(pool.model.coldStart.kind, 'lognormal');
  if (pool.model.coldStart.kind === 'lognormal') {
    assert.ok(Math.abs(pool.model.coldStart.medianSec - 3.2) < 1e-9, 'a 1.5 GB model loads in ~3 s');
    assert.equal(pool.model.coldStart.firstWaveProbability, 0.75);
  }
});
