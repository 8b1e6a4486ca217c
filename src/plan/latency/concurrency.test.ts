import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jobConcurrency, type ConcurrencyInput } from './concurrency.js';

test("jobConcurrency: the one place a job's concurrency is decided", () => {
  const cases: Array<[name: string, input: ConcurrencyInput, expected: number]> = [
    ['a local engine: one per core', { cores: 2 }, 2],
    ["the backend's own (a remote provider's k)", { backendMax: 4, cores: 2 }, 4],
    ['the configured wins over both', { configured: 3, backendMax: 4, cores: 2 }, 3],
    ['a model: its k servers', { model: { k: 2 }, cores: 16 }, 2],
    ['a model within the configured limit', { configured: 1, model: { k: 2 } }, 1],
    ['a model whose k is below the limit', { configured: 8, model: { k: 2 } }, 2],
    ['hedged: every segment at once', { model: { k: 4, hedgedSegments: 7 } }, 7],
    ['hedged, within the limit', { configured: 5, model: { k: 4, hedgedSegments: 7 } }, 5],
    ['hedged, fewer segments than servers', { model: { k: 4, hedgedSegments: 2 } }, 4],
    ["the plan's choice", { planned: 2, configured: 8, backendMax: 4 }, 2],
    ['first words elsewhere take no slot', { planned: 2, firstSegmentElsewhere: true }, 3],
    ['a remote queue: its in-flight limit, whatever else', { remoteInFlight: 64, planned: 2, configured: 3, firstSegmentElsewhere: true }, 64],
  ];
  for (const [name, input, expected] of cases) assert.equal(jobConcurrency(input), expected, name);
});
