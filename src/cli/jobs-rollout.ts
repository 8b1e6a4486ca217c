/**
 * `jobs show`: the job's canary attempts and the verdict of each candidate it tried, and its shadowed
 * segments with their disagreement (src/rollout/).
 */
import type { AttemptRecord } from '../pipeline/serve-segment.js';
import { canaryFigures } from '../rollout/canary-state.js';
import type { JobStore } from '../store/jobs.js';
import type { CanaryRolloutRow, ShadowRow } from '../store/rollout.js';
import { fixed, table } from './render.js';

export interface CanaryView {
  rollout: string;
  backend: string;
  compareWith: string;
  status: string;
  reason: string | null;
  decidedAtSec: number | null;
  segments: number;
  errors: number;
  compared: number;
  errorRate: number | null;
  meanWer: number | null;
  latencyRatio: number | null;
  /** This job's canary attempts on the candidate, and how many of them failed (and fell back). */
  jobAttempts: number;
  jobFailures: number;
}

export interface ShadowView {
  index: number;
  kind: string;
  backend: string;
  reference: string;
  wer: number | null;
  referenceWords: number | null;
  backendSec: number | null;
  referenceSec: number | null;
  error: string | null;
}

export interface RolloutView {
  canaries: CanaryView[];
  shadows: ShadowView[];
}

export async function rolloutView(store: JobStore, jobId: string, attemptLogs: ReadonlyArray<readonly AttemptRecord[]>): Promise<RolloutView> {
  const canaryAttempts = attemptLogs.flat().filter((a) => a.canary);
  const candidates = [...new Set(canaryAttempts.map((a) => a.backend))];
  const rows: CanaryRolloutRow[] = await store.rollout.listRollouts(candidates);
  // The newest rollout of each candidate.
  const newest = rows.filter((row, i) => rows.findIndex((r) => r.backend === row.backend) === i);
  const canaries = newest.map((row) => {
    const mine = canaryAttempts.filter((a) => a.backend === row.backend && a.outcome !== 'cancelled');
    return {
      rollout: row.rollout,
      backend: row.backend,
      compareWith: row.compare_with,
      status: row.status,
      reason: row.reason,
      decidedAtSec: row.decided_at,
      segments: row.segments,
      errors: row.errors,
      compared: row.compared,
      ...canaryFigures({ segments: row.segments, errors: row.errors, compared: row.compared, werSum: row.wer_sum, candidateSec: row.candidate_sec, referenceSec: row.reference_sec }),
      jobAttempts: mine.length,
      jobFailures: mine.filter((a) => a.outcome !== 'ok').length,
    };
  });
  const shadows = (await store.rollout.listShadows(jobId)).map((row: ShadowRow) => ({
    index: row.idx,
    kind: row.kind,
    backend: row.backend,
    reference: row.reference,
    wer: row.wer,
    referenceWords: row.reference_words,
    backendSec: row.backend_sec,
    referenceSec: row.reference_sec,
    error: row.error_code ? `${row.error_code}: ${row.error}` : null,
  }));
  return { canaries, shadows };
}

const STATUS_WORDS: Record<string, string> = { active: 'on trial', ready: 'ready to promote', 'rolled-back': 'rolled back' };

/** Lines under the job's header: one per candidate. */
export function canaryLines(view: RolloutView): string[] {
  return view.canaries.map((c) => {
    const when = c.decidedAtSec && c.status !== 'active' ? ` at ${new Date(c.decidedAtSec * 1000).toISOString().replace('T', ' ').slice(0, 19)} UTC` : '';
    const figures = [`${c.segments} segments, ${c.errors} failed`, c.compared > 0 ? `${c.compared} compared with ${c.compareWith}` : ''].filter(Boolean).join(', ');
    return (
      `canary    ${c.backend} (rollout ${c.rollout}): ${STATUS_WORDS[c.status] ?? c.status}${when}${c.reason ? ` (${c.reason})` : ''}; ${figures}; ` +
      `this job: ${c.jobAttempts} segment(s) tried it, ${c.jobFailures} failed and went to the normal chain`
    );
  });
}

/** The shadowed segments as a table (empty when none). */
export function shadowTable(view: RolloutView): string {
  if (view.shadows.length === 0) return '';
  const rows = view.shadows.map((s) => [
    String(s.index),
    s.kind,
    s.backend,
    s.reference,
    s.wer === null ? '-' : s.wer.toFixed(3),
    s.referenceWords === null ? '-' : String(s.referenceWords),
    fixed(s.backendSec, 2),
    fixed(s.referenceSec, 2),
    s.error ?? '',
  ]);
  return table(['#', 'kind', 'served by', 'compared with', 'WER', 'ref words', 'served s', 'compare s', 'error'], rows);
}
