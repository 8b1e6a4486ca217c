/** `parascribe jobs` and `parascribe jobs show <id>`: the job history from the store. */
import { basename } from 'node:path';
import type { Config } from '../config/schema.js';
import { ParascribeError } from '../errors.js';
import type { JobRow } from '../store/jobs.js';
import { segmentTelemetry } from '../telemetry/from-store.js';
import type { JobTelemetry } from '../telemetry/summary.js';
import type { AttemptRecord } from '../pipeline/serve-segment.js';
import type { BreakerTransition } from '../queue/breaker.js';
import { openRuntime } from '../runtime.js';
import { questionView } from '../service/question-views.js';
import type { QuestionRow } from '../store/questions.js';
import { fixed, table, telemetrySummary } from './render.js';
import { canaryLines, rolloutView, shadowTable } from './jobs-rollout.js';

const chainOf = (job: JobRow): string[] => {
  const options = JSON.parse(job.options_json) as { chain?: string[] };
  return options.chain ?? [job.backend];
};

const wallOf = (job: JobRow): number | null => (job.started_at !== null && job.completed_at !== null ? job.completed_at - job.started_at : null);

export async function jobsListCommand(config: Config, options: { limit: number; json: boolean }, stdout: NodeJS.WritableStream): Promise<number> {
  const runtime = await openRuntime(config);
  const { store } = runtime;
  try {
    const jobs = await store.listJobs(options.limit);
    if (options.json) {
      stdout.write(`${JSON.stringify(jobs.map(publicJob))}\n`);
      return 0;
    }
    if (jobs.length === 0) {
      stdout.write('no jobs yet\n');
      return 0;
    }
    const rows = jobs.map((job) => {
      const wall = wallOf(job);
      const k = wall && job.gpu_elapsed_sec !== null && wall > 0 ? job.gpu_elapsed_sec / wall : null;
      return [
        job.id,
        basename(job.source),
        fixed(job.duration_sec === null ? null : job.duration_sec / 60, 1),
        fixed(wall, 1),
        fixed(job.gpu_elapsed_sec, 1),
        fixed(k, 2),
        job.chunk_count === null ? '-' : String(job.chunk_count),
        job.cost_usd ? job.cost_usd.toFixed(4) : '-',
        job.cache_hit ? `${job.status} (cache)` : job.status,
        new Date(job.created_at * 1000).toISOString().replace('T', ' ').slice(0, 19),
      ];
    });
    stdout.write(`${table(['id', 'file', 'audio min', 'wall s', 'compute s', 'k', 'segments', 'cost $', 'status', 'created (UTC)'], rows)}\n`);
    return 0;
  } finally {
    await runtime.close();
  }
}

function publicJob(job: JobRow) {
  const { options_json, telemetry_json, ...rest } = job;
  return { ...rest, options: JSON.parse(options_json) as unknown, telemetry: telemetry_json ? (JSON.parse(telemetry_json) as unknown) : null, wall_sec: wallOf(job) };
}

export async function jobShowCommand(config: Config, id: string, options: { json: boolean }, stdout: NodeJS.WritableStream): Promise<number> {
  const runtime = await openRuntime(config);
  const { store } = runtime;
  try {
    const job = await store.findJob(id);
    if (job === 'ambiguous') throw new ParascribeError('INVALID_ARGUMENT', `job id prefix "${id}" matches several jobs; give more characters`);
    if (!job) throw new ParascribeError('JOB_NOT_FOUND', `no job with id "${id}"`);
    const segments = (await store.listSegments(job.id)).map((row) => ({
      ...segmentTelemetry(row),
      reusedFromJob: row.reused_from_job,
      errorCode: row.error_code,
      attemptLog: row.attempts_json ? (JSON.parse(row.attempts_json) as AttemptRecord[]) : [],
    }));
    const breakerEvents = job.breaker_events_json ? (JSON.parse(job.breaker_events_json) as BreakerTransition[]) : [];
    const questions = await store.questions.list(job.id);
    const rollout = await rolloutView(store, job.id, segments.map((s) => s.attemptLog));
    if (options.json) {
      stdout.write(`${JSON.stringify({ ...publicJob(job), breakerEvents, segments, canaries: rollout.canaries, shadows: rollout.shadows, questions: questions.map(questionView) }, null, 2)}
`);
      return 0;
    }
    const lines = [
      `job       ${job.id}`,
      `status    ${job.status}${job.error ? ` (${job.error_code}: ${job.error})` : ''}`,
      `source    ${job.source}`,
      `output    ${job.output_path ?? '-'} (${job.format})`,
      `backend   ${job.backend}${job.model ? ` / ${job.model}` : ''} (chain: ${chainOf(job).join(' → ')}; priority ${job.priority})`,
      `cost      $${(job.cost_usd ?? 0).toFixed(4)}${job.duration_sec ? ` ($${((job.cost_usd ?? 0) / (job.duration_sec / 60)).toFixed(4)} per audio minute)` : ''}`,
      `segment   ${job.segment_sec} s target`,
      `cache key ${job.cache_key ?? '-'}`,
    ];
    if (job.telemetry_json) lines.push('telemetry', telemetrySummary(JSON.parse(job.telemetry_json) as JobTelemetry));
    for (const event of breakerEvents) {
      lines.push(`breaker   ${new Date(event.atSec * 1000).toISOString().slice(11, 23)} ${event.backend}: ${event.from} → ${event.to} (${event.reason})`);
    }
    lines.push(...canaryLines(rollout));
    stdout.write(`${lines.join('\n')}\n`);
    if (segments.length > 0) {
      const rows = segments.map((s) => [
        String(s.index),
        fixed(s.startSec, 2),
        fixed(s.endSec, 2),
        s.reusedFromJob ? `reused (${s.reusedFromJob})` : s.status,
        String(s.attempts),
        s.backend ?? '-',
        fixed(s.computeSec, 2),
        s.status === 'completed' ? fixed(s.lifeSec, 2) : '-',
        s.status === 'completed' ? fixed(Math.max(0, s.lifeSec - s.computeSec), 3) : '-',
        s.status === 'completed' ? (s.coldStart ? 'yes' : 'no') : '-',
        s.costUsd ? s.costUsd.toFixed(4) : '-',
        s.error ? `${s.errorCode}: ${s.error}` : '',
      ]);
      stdout.write(`\n${table(['#', 'start s', 'end s', 'status', 'attempts', 'backend', 'compute s', 'life s', 'overhead s', 'cold', 'cost $', 'error'], rows)}\n`);
      // Segments that needed more than one try: every attempt, its backend, outcome and backoff.
      const eventful = segments.filter((s) => s.attemptLog.length > 1 || s.attemptLog.some((a) => a.outcome !== 'ok'));
      if (eventful.length > 0) stdout.write('\nattempts\n');
      for (const s of eventful) for (const line of attemptLines(s.index, s.attemptLog)) stdout.write(`  ${line}\n`);
    }
    const shadows = shadowTable(rollout);
    if (shadows) stdout.write(`\nshadowed segments (WER of the stored result against another backend's)\n${shadows}\n`);
    if (questions.length > 0) stdout.write(`\nquestions (parascribe ask)\n${questions.map(questionLines).join('\n')}\n`);
    return 0;
  } finally {
    await runtime.close();
  }
}

/** Runs of this many identical failures or more are one line in the table (the store and --json keep each). */
const COLLAPSE_RUN = 3;

/**
 * One segment's attempts for the table: each on its line with its backoff and breaker wait, except
 * runs of identical outcomes (same backend, outcome and error: an endpoint that was down a while)
 * shown as one line with their count and span.
 */
export function attemptLines(index: number, log: readonly AttemptRecord[]): string[] {
  const same = (a: AttemptRecord, b: AttemptRecord) => a.backend === b.backend && a.outcome === b.outcome && a.errorCode === b.errorCode && a.error === b.error && !a.hedge === !b.hedge;
  const runs: AttemptRecord[][] = [];
  for (const attempt of log) {
    const run = runs.at(-1);
    if (run && attempt.outcome !== 'ok' && same(run[0]!, attempt)) run.push(attempt);
    else runs.push([attempt]);
  }
  const what = (a: AttemptRecord) => `${a.outcome}${a.error ? ` (${a.errorCode}: ${a.error})` : ''}`;
  const lines: string[] = [];
  for (const run of runs) {
    if (run.length < COLLAPSE_RUN) {
      for (const a of run) {
        const waits = [a.delayBeforeMs ? `${(a.delayBeforeMs / 1000).toFixed(2)} s backoff` : '', a.breakerWaitMs ? `${(a.breakerWaitMs / 1000).toFixed(2)} s for the open breaker` : ''].filter(Boolean);
        lines.push(`#${index} ${a.backend}${a.hedge ? ' (hedge)' : ''}${a.canary ? ' (canary)' : ''} try ${a.attempt}${waits.length ? ` after ${waits.join(' and ')}` : ''}: ${what(a)} ${(a.endedAtSec - a.startedAtSec).toFixed(2)} s`);
      }
      continue;
    }
    const first = run[0]!;
    const last = run.at(-1)!;
    const breakerSec = run.reduce((sum, a) => sum + (a.breakerWaitMs ?? 0), 0) / 1000;
    lines.push(
      `#${index} ${first.backend}${first.hedge ? ' (hedge)' : ''} tries ${first.attempt}–${last.attempt}: ${what(first)} × ${run.length}, ` +
        `${(last.endedAtSec - first.startedAtSec).toFixed(2)} s from the first to the last${breakerSec > 0 ? ` (${breakerSec.toFixed(2)} s of it for the open breaker)` : ''}`,
    );
  }
  return lines;
}

/** One asked question: when, how, what it cost, and the answer's first 300 characters. */
function questionLines(q: QuestionRow): string {
  const when = new Date(q.created_at * 1000).toISOString().replace('T', ' ').slice(0, 19);
  const citations = JSON.parse(q.citations_json) as { valid: unknown[]; dropped: unknown[] };
  const tokens = `${q.input_tokens} in / ${q.output_tokens} out${q.tokens_estimated ? ' (est.)' : ''}`;
  const outcome = q.status === 'answered' ? `${citations.valid.length} citation(s)${citations.dropped.length ? `, ${citations.dropped.length} dropped` : ''}` : `${q.status}: ${q.error_code}: ${q.error}`;
  const answer = q.answer.replace(/\s+/g, ' ').trim();
  return [
    `  ${q.id}  ${when}  ${q.strategy} · ${q.model ?? '-'} · ${tokens} · $${q.cost_usd.toFixed(6)} · ${outcome}`,
    `    Q: ${q.question}`,
    `    A: ${answer.length > 300 ? `${answer.slice(0, 300)}…` : answer || '-'}`,
  ].join('\n');
}
