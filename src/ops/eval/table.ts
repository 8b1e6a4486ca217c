/**
 * `parascribe eval`'s numbers: totals per backend, the change against the last run (`--compare`),
 * the table on stdout and the `--json` document. Totals pool errors over words (and characters), so
 * a long file weighs more than a short one: Σ errors / Σ reference words, not a mean of rates.
 */
import { basename } from 'node:path';
import { fixed, table } from '../../cli/render.js';
import { compareKey, type EvaluationRow } from '../../store/evaluations.js';
import type { SeamsOutcome } from './runner.js';
import type { SeamReport } from './seams.js';

/** What the totals and the comparison need of a result: a fresh one (EvalResult) or a stored one. */
export interface EvalFigures {
  file: string;
  backend: string;
  status: 'ok' | 'failed';
  durationSec: number;
  wallSec: number;
  computeSec: number;
  costUsd: number;
  segments: number;
  refWords: number;
  wordErrors: number;
  refChars: number;
  charErrors: number;
  wer: number | null;
  cer: number | null;
  seams: SeamsOutcome | null;
}

export interface BackendTotals {
  backend: string;
  files: number;
  failed: number;
  durationSec: number;
  wallSec: number;
  computeSec: number;
  rtf: number | null;
  parallelism: number | null;
  costUsd: number;
  costPerAudioMinuteUsd: number | null;
  wer: number | null;
  cer: number | null;
  /** Over the files whose seams were checked. */
  seams: { files: number; cuts: number; inserted: number; doubled: number; dropped: number };
}

export interface Delta {
  wer: number | null;
  cer: number | null;
  rtf: number | null;
  wallSec: number;
  costUsd: number;
}

export interface RowChange {
  file: string;
  backend: string;
  previousRunId: string;
  previousAtSec: number;
  delta: Delta;
}

export interface Comparison {
  rows: RowChange[];
  /** Per backend, over the files that have a previous result only. */
  totals: Array<{ backend: string; previous: BackendTotals; current: BackendTotals; delta: Delta }>;
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);
const minus = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a - b);
export const isSeamReport = (s: SeamsOutcome | null): s is SeamReport => s !== null && !('skipped' in s);

export function fromStored(row: EvaluationRow): EvalFigures {
  return {
    file: row.file,
    backend: row.backend,
    status: row.status,
    durationSec: row.duration_sec ?? 0,
    wallSec: row.wall_sec ?? 0,
    computeSec: row.compute_sec ?? 0,
    costUsd: row.cost_usd ?? 0,
    segments: row.segments ?? 0,
    refWords: row.ref_words ?? 0,
    wordErrors: row.word_errors ?? 0,
    refChars: row.ref_chars ?? 0,
    charErrors: row.char_errors ?? 0,
    wer: row.wer,
    cer: row.cer,
    seams: row.seams_json ? (JSON.parse(row.seams_json) as SeamsOutcome) : null,
  };
}

export function totalsByBackend(results: readonly EvalFigures[]): BackendTotals[] {
  const backends = [...new Set(results.map((r) => r.backend))];
  return backends.map((backend) => {
    const mine = results.filter((r) => r.backend === backend);
    const ok = mine.filter((r) => r.status === 'ok');
    const sum = (pick: (r: EvalFigures) => number) => ok.reduce((n, r) => n + pick(r), 0);
    const durationSec = sum((r) => r.durationSec);
    const wallSec = sum((r) => r.wallSec);
    const costUsd = sum((r) => r.costUsd);
    const checked = ok.map((r) => r.seams).filter(isSeamReport);
    return {
      backend,
      files: ok.length,
      failed: mine.length - ok.length,
      durationSec,
      wallSec,
      computeSec: sum((r) => r.computeSec),
      rtf: ratio(wallSec, durationSec),
      parallelism: ratio(sum((r) => r.computeSec), wallSec),
      costUsd,
      costPerAudioMinuteUsd: ratio(costUsd, durationSec / 60),
      wer: ratio(sum((r) => r.wordErrors), sum((r) => r.refWords)),
      cer: ratio(sum((r) => r.charErrors), sum((r) => r.refChars)),
      seams: {
        files: checked.length,
        cuts: checked.reduce((n, s) => n + s.cuts, 0),
        inserted: checked.reduce((n, s) => n + s.inserted, 0),
        doubled: checked.reduce((n, s) => n + s.doubled, 0),
        dropped: checked.reduce((n, s) => n + s.dropped, 0),
      },
    };
  });
}

const rowDelta = (now: { wer: number | null; cer: number | null; rtf: number | null; wallSec: number; costUsd: number }, before: typeof now): Delta => ({
  wer: minus(now.wer, before.wer),
  cer: minus(now.cer, before.cer),
  rtf: minus(now.rtf, before.rtf),
  wallSec: now.wallSec - before.wallSec,
  costUsd: now.costUsd - before.costUsd,
});

/** The change of each successful result against the previous result of the same file and backend. */
export function compareWith(current: readonly EvalFigures[], previous: ReadonlyMap<string, EvaluationRow>): Comparison {
  const rows: RowChange[] = [];
  const pairs: Array<{ now: EvalFigures; before: EvalFigures }> = [];
  for (const now of current) {
    const row = previous.get(compareKey(now));
    if (!row || now.status !== 'ok') continue;
    const before = fromStored(row);
    pairs.push({ now, before });
    rows.push({
      file: now.file,
      backend: now.backend,
      previousRunId: row.run_id,
      previousAtSec: Number(row.created_at),
      delta: rowDelta({ ...now, rtf: ratio(now.wallSec, now.durationSec) }, { ...before, rtf: ratio(before.wallSec, before.durationSec) }),
    });
  }
  const nowTotals = totalsByBackend(pairs.map((p) => p.now));
  const beforeTotals = totalsByBackend(pairs.map((p) => p.before));
  const totals = nowTotals.map((cur) => {
    const prev = beforeTotals.find((b) => b.backend === cur.backend)!;
    return { backend: cur.backend, previous: prev, current: cur, delta: rowDelta(cur, prev) };
  });
  return { rows, totals };
}

const percent = (rate: number | null, digits = 1): string => (rate === null ? '-' : (rate * 100).toFixed(digits));
const signed = (value: number | null, digits: number, scale = 1): string => (value === null ? '-' : `${value * scale >= 0 ? '+' : ''}${(value * scale).toFixed(digits)}`);

function seamCell(seams: SeamsOutcome | null): string {
  if (seams === null) return '-';
  if (!isSeamReport(seams)) return seams.skipped.startsWith('one segment') ? 'no cuts' : 'skipped';
  return `${seams.cuts} cuts +${seams.inserted}(${seams.doubled}x2) -${seams.dropped}`;
}

export function evalTable(results: readonly (EvalFigures & { error?: string | null })[], comparison?: Comparison): string {
  const changeOf = (file: string, backend: string) => comparison?.rows.find((c) => c.file === file && c.backend === backend);
  const headers = ['file', 'backend', 'audio s', 'segs', 'wall s', 'RTF', 'k', 'cost $', 'WER %', 'CER %', 'seams (+inserted(doubled) -dropped)', ...(comparison ? ['Δ WER pp', 'Δ CER pp', 'Δ RTF'] : [])];
  const rows = results.map((r) => {
    const change = changeOf(r.file, r.backend);
    const cells =
      r.status === 'ok'
        ? [fixed(r.durationSec, 1), String(r.segments), fixed(r.wallSec, 2), fixed(ratio(r.wallSec, r.durationSec), 3), fixed(ratio(r.computeSec, r.wallSec), 2), r.costUsd.toFixed(4), percent(r.wer), percent(r.cer), seamCell(r.seams)]
        : ['-', '-', '-', '-', '-', '-', '-', '-', `failed: ${r.error ?? ''}`.slice(0, 80)];
    const deltas = comparison ? (change ? [signed(change.delta.wer, 1, 100), signed(change.delta.cer, 1, 100), signed(change.delta.rtf, 3)] : ['new', '', '']) : [];
    return [basename(r.file), r.backend, ...cells, ...deltas];
  });
  const totals = totalsByBackend(results);
  const totalRows = totals.map((t) => {
    const change = comparison?.totals.find((c) => c.backend === t.backend);
    const seams = t.seams.files > 0 ? `${t.seams.cuts} cuts +${t.seams.inserted}(${t.seams.doubled}x2) -${t.seams.dropped}` : '-';
    const deltas = comparison ? (change ? [signed(change.delta.wer, 1, 100), signed(change.delta.cer, 1, 100), signed(change.delta.rtf, 3)] : ['new', '', '']) : [];
    return [
      `total (${t.files} file${t.files === 1 ? '' : 's'}${t.failed ? `, ${t.failed} failed` : ''})`,
      t.backend,
      fixed(t.durationSec, 1),
      '',
      fixed(t.wallSec, 2),
      fixed(t.rtf, 3),
      fixed(t.parallelism, 2),
      t.costUsd.toFixed(4),
      percent(t.wer),
      percent(t.cer),
      seams,
      ...deltas,
    ];
  });
  return table(headers, [...rows, ...totalRows]);
}
