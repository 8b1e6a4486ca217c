import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBackendRegistry } from '../registry.js';
import { PLANNING_BYTES_PER_AUDIO_SEC } from './encode.js';
import { ASSUMED, openaiPrior } from './priors.js';

test('openai prior: conservative remote defaults; k is the requests in flight; a self-hosted endpoint may start cold', () => {
  const cases: Array<{ name: string; baseURL: string; k: number; format: 'flac' | 'opus' | 'wav'; cold: 'none' | 'lognormal' }> = [
    { name: "OpenAI's API", baseURL: 'https://api.openai.com/v1', k: 4, format: 'flac', cold: 'none' },
    { name: 'a self-hosted GPU box', baseURL: 'http://gpu-box:8000/v1', k: 8, format: 'opus', cold: 'lognormal' },
  ];
  for (const c of cases) {
    const prior = openaiPrior({ baseURL: c.baseURL, maxConcurrentRequests: c.k, uploadFormat: c.format });
    assert.equal(prior.model.k, c.k, c.name);
    assert.equal(prior.model.coldStart.kind, c.cold, c.name);
    assert.equal(prior.model.overhead.fixedSec, ASSUMED.requestSec, c.name);
    assert.equal(prior.model.overhead.perAudioSec, PLANNING_BYTES_PER_AUDIO_SEC[c.format] / ASSUMED.uploadBytesPerSec, `${c.name}: the upload`);
    assert.ok(prior.weightJobs <= 2, `${c.name}: history soon outweighs the guess`);
  }
  const backend = createBackendRegistry().create('gpu', { type: 'openai', baseURL: 'http://127.0.0.1:9/v1', maxConcurrentRequests: 6 });
  assert.equal(backend.latencyPrior!().model.k, 6);
});
