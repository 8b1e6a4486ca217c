import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coverageNote, formatClock, type Coverage } from './coverage.js';

const base: Coverage = { toSec: 1390, totalSec: 3600, complete: false, jobStatus: 'running', segmentsDone: 4, segmentsTotal: 10 };
const cases: Array<[string, Partial<Coverage>, string | null]> = [
  ['running, duration known', {}, 'covers 0:00–23:10 of 60:00 (still transcribing)'],
  ['queued, duration not yet probed', { jobStatus: 'queued', totalSec: null, toSec: 61.4 }, 'covers 0:00–1:01 (still transcribing)'],
  ['failed half-way', { jobStatus: 'failed' }, 'covers 0:00–23:10 of 60:00 (the job is failed)'],
  ['complete: nothing to say', { complete: true, jobStatus: 'completed', toSec: 3600 }, null],
];
for (const [name, patch, expected] of cases) test(`coverageNote: ${name}`, () => assert.equal(coverageNote({ ...base, ...patch }), expected));

test('formatClock counts whole minutes', () => {
  assert.deepEqual([0, 59.6, 61, 3600, 7322].map(formatClock), ['0:00', '1:00', '1:01', '60:00', '122:02']);
});
