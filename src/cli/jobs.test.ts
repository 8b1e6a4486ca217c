import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttemptRecord } from '../pipeline/serve-segment.js';
import { attemptLines } from './jobs.js';

const refused = (attempt: number, atSec: number, extra: Partial<AttemptRecord> = {}): AttemptRecord => ({
  backend: 'remote',
  attempt,
  startedAtSec: atSec,
  endedAtSec: atSec + 0.1,
  outcome: 'error',
  errorCode: 'BACKEND_FAILED',
  error: 'HTTP 503',
  delayBeforeMs: attempt > 1 ? 500 : undefined,
  ...extra,
});

test('jobs show: long runs of identical failures are one line in the table; short runs and different errors stay apart', () => {
  const log: AttemptRecord[] = [
    ...Array.from({ length: 12 }, (_, i) => refused(i + 1, 100 + i, i === 5 ? { breakerWaitMs: 3000 } : {})),
    refused(13, 113, { error: 'HTTP 429' }),
    refused(14, 114),
    { backend: 'remote', attempt: 15, startedAtSec: 115, endedAtSec: 115.5, outcome: 'ok', delayBeforeMs: 250 },
  ];
  assert.deepEqual(attemptLines(3, log), [
    '#3 remote tries 1–12: error (BACKEND_FAILED: HTTP 503) × 12, 11.10 s from the first to the last (3.00 s of it for the open breaker)',
    '#3 remote try 13 after 0.50 s backoff: error (BACKEND_FAILED: HTTP 429) 0.10 s',
    '#3 remote try 14 after 0.50 s backoff: error (BACKEND_FAILED: HTTP 503) 0.10 s',
    '#3 remote try 15 after 0.25 s backoff: ok 0.50 s',
  ]);
  assert.equal(attemptLines(0, log.slice(0, 2)).length, 2, 'two in a row: each on its line');
});
