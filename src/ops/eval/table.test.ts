import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EvaluationRow } from '../../store/evaluations.js';
import { compareWith, evalTable, totalsByBackend, type EvalFigures } from './table.js';

const result = (file: string, backend: string, refWords: number, wordErrors: number, extra: Partial<EvalFigures> = {}): EvalFigures => ({
  file, backend, status: 'ok', durationSec: refWords, wallSec: refWords / 10, computeSec: refWords / 5, costUsd: 0, segments: 2,
  refWords, wordErrors, refChars: refWords * 5, charErrors: wordErrors * 2, wer: wordErrors / refWords, cer: (wordErrors * 2) / (refWords * 5),
  seams: { cuts: 1, windowSec: 3, wholeJobId: 'j', wordsNearCuts: 10, inserted: 1, doubled: 1, dropped: 0, substituted: 0, nearCutDiffRate: 0.1, overallDiffRate: 0.05, problems: [] },
  ...extra,
});

test('totals pool errors over words, wall over audio, compute over wall; failed runs stay out', () => {
  const [t] = totalsByBackend([result('/a', 'x', 100, 10), result('/b', 'x', 900, 180), { ...result('/c', 'x', 50, 50), status: 'failed' }]);
  assert.equal(t!.files, 2);
  assert.equal(t!.failed, 1);
  assert.equal(t!.wer, 190 / 1000);
  assert.equal(t!.cer, 380 / 5000);
  assert.equal(t!.rtf, 0.1);
  assert.equal(t!.parallelism, 2);
  assert.deepEqual(t!.seams, { files: 2, cuts: 2, inserted: 2, doubled: 2, dropped: 0 });
});

test('compareWith: per file and backend, and totals over the files that have a previous result', () => {
  const stored = (file: string, backend: string, wer: number): EvaluationRow => ({
    id: 'rold-0', run_id: 'rold', created_at: 100, file, backend, status: 'ok', job_id: null, duration_sec: 100, wall_sec: 20, compute_sec: 20,
    cost_usd: 0, segments: 2, ref_words: 100, word_errors: wer * 100, ref_chars: 500, char_errors: 10, wer, cer: 0.02, seams_json: null, error: null,
  });
  const previous = new Map([[`x\u0000/a`, stored('/a', 'x', 0.2)]]);
  const comparison = compareWith([result('/a', 'x', 100, 10), result('/new', 'x', 100, 50)], previous);
  assert.equal(comparison.rows.length, 1);
  assert.equal(comparison.rows[0]!.previousRunId, 'rold');
  assert.ok(Math.abs(comparison.rows[0]!.delta.wer! - -0.1) < 1e-12);
  assert.ok(Math.abs(comparison.rows[0]!.delta.rtf! - (0.1 - 0.2)) < 1e-12);
  assert.equal(comparison.totals[0]!.current.files, 1, 'the new file is not in the compared totals');
  const table = evalTable([result('/a', 'x', 100, 10), result('/new', 'x', 100, 50)], comparison);
  assert.match(table, /^a\s+x\s+100\.0\s+2\s+10\.00\s+0\.100\s+2\.00\s+0\.0000\s+10\.0\s+4\.0\s+1 cuts \+1\(1x2\) -0\s+-10\.0\s+\+2\.0\s+-0\.100$/m);
  assert.match(table, /^new\s+x\s.*\snew$/m);
});
