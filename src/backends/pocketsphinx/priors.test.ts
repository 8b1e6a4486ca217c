import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBackendRegistry } from '../registry.js';
import { MEASURED, pocketsphinxPrior } from './priors.js';

test('pocketsphinx prior: a local pool, one process per segment and per core, the calibration as preparation', () => {
  const cases: Array<{ name: string; cores: number; sampleSec: number; k: number; prepareSec: number | undefined }> = [
    { name: '2 cores, 20 s calibration sample', cores: 2, sampleSec: 20, k: 2, prepareSec: MEASURED.processStartSec + MEASURED.sampleRtf * 20 },
    { name: '16 cores', cores: 16, sampleSec: 20, k: 16, prepareSec: MEASURED.processStartSec + MEASURED.sampleRtf * 20 },
    { name: 'calibration off: no preparation', cores: 2, sampleSec: 0, k: 2, prepareSec: undefined },
  ];
  for (const c of cases) {
    const prior = pocketsphinxPrior({ cores: c.cores, calibrationSampleSec: c.sampleSec });
    assert.equal(prior.model.k, c.k, c.name);
    assert.equal(prior.model.prepareSec, c.prepareSec, c.name);
    assert.equal(prior.model.coldStart.kind, 'every-request', c.name);
    assert.equal(prior.model.rtf, MEASURED.rtf, c.name);
    assert.ok(prior.model.overhead.fixedSec >= MEASURED.processStartSec, `${c.name}: the process start is per request`);
    assert.match(prior.source, /measured/, c.name);
  }
});

test('the backend exposes its prior; the settings decide the preparation', () => {
  const registry = createBackendRegistry();
  assert.ok(registry.create('pocketsphinx').latencyPrior!().model.prepareSec! > 0);
  assert.equal(registry.create('pocketsphinx', { calibrate: false }).latencyPrior!().model.prepareSec, undefined);
});
