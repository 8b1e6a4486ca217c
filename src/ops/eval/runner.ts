/**
 * `parascribe eval`'s runs: every input on every backend, as ordinary jobs of this runtime (so they
 * are in `parascribe jobs` and `stats` like any other), with the transcript cache off so that wall
 * time and cost are measured, not remembered. Each transcript is scored against its reference (WER
 * and CER, src/eval/) and, where the plan cut the file, checked at its seams against the same
 * backend's run of the whole file in one segment (seams.ts) where the backend takes a segment that
 * long.
 */
import { characterErrorRate } from '../../eval/cer.js';
import { wordErrorRate } from '../../eval/wer.js';
import { toParascribeError } from '../../errors.js';
import type { Config } from '../../config/schema.js';
import { runJob, type JobOutcome, type JobRuntime } from '../../pipeline/job.js';
import type { NewEvaluation } from '../../store/evaluations.js';
import type { EvalInput } from './inputs.js';
import { checkSeams, DEFAULT_SEAM_WINDOW_SEC, type SeamReport } from './seams.js';

export interface EvalRunOptions {
  backends: readonly string[];
  /** Run the whole-file comparison for the seams check (default true). */
  seams?: boolean;
  seamWindowSec?: number;
  signal: AbortSignal;
  /** A line per run started (progress). */
  log?: (line: string) => void;
}

export type SeamsOutcome = SeamReport | { skipped: string };

export interface EvalResult {
  file: string;
  backend: string;
  status: 'ok' | 'failed';
  error: string | null;
  jobId: string | null;
  durationSec: number;
  wallSec: number;
  computeSec: number;
  /** wall / audio. */
  rtf: number;
  /** k = compute / wall. */
  parallelism: number;
  costUsd: number;
  segments: number;
  refWords: number;
  wordErrors: number;
  substitutions: number;
  deletions: number;
  insertions: number;
  wer: number | null;
  refChars: number;
  charErrors: number;
  cer: number | null;
  seams: SeamsOutcome | null;
  /** The transcript's text (what was scored); not stored. */
  hypothesis: string | null;
}

const finite = (value: number): number | null => (Number.isFinite(value) ? value : null);

/** The transcript scored against its reference. */
export function score(reference: string, hypothesis: string) {
  const words = wordErrorRate(reference, hypothesis, { alignment: false });
  const chars = characterErrorRate(reference, hypothesis);
  return {
    refWords: words.referenceWords,
    wordErrors: words.substitutions + words.deletions + words.insertions,
    substitutions: words.substitutions,
    deletions: words.deletions,
    insertions: words.insertions,
    wer: finite(words.wer),
    refChars: chars.referenceChars,
    charErrors: chars.editDistance,
    cer: finite(chars.cer),
  };
}

function failed(file: string, backend: string, error: string, jobId: string | null = null): EvalResult {
  return {
    file, backend, status: 'failed', error, jobId, durationSec: 0, wallSec: 0, computeSec: 0, rtf: 0, parallelism: 0, costUsd: 0, segments: 0,
    refWords: 0, wordErrors: 0, substitutions: 0, deletions: 0, insertions: 0, wer: null, refChars: 0, charErrors: 0, cer: null, seams: null, hypothesis: null,
  };
}

async function transcribe(runtime: JobRuntime, config: Config, input: string, signal: AbortSignal): Promise<JobOutcome> {
  return runJob({ runtime, config, input, outputPath: null, format: 'txt', signal });
}

/** The same backend on the whole file in one segment, compared at the segmented run's cuts. */
async function seamsOf(runtime: JobRuntime, config: Config, outcome: JobOutcome, options: EvalRunOptions): Promise<SeamsOutcome> {
  const backend = runtime.backends.get(config.backend!);
  const durationSec = outcome.telemetry.durationSec;
  if (outcome.plan.length < 2) return { skipped: 'one segment: no cuts' };
  const max = backend.capabilities.maxSegmentSec;
  if (max !== undefined && max < durationSec) return { skipped: `${backend.id} takes segments of at most ${Math.floor(max)} s; the file is ${Math.round(durationSec)} s` };
  const wholeConfig: Config = {
    ...config,
    segmentSec: Math.min(86_400, Math.ceil(durationSec) + 1),
    firstWords: { ...config.firstWords, enabled: false },
    hedging: { ...config.hedging, enabled: false },
  };
  const whole = await transcribe(runtime, wholeConfig, outcome.source, options.signal);
  if (whole.plan.length !== 1) return { skipped: `the whole-file run was cut into ${whole.plan.length} segments` };
  return checkSeams(outcome.transcript!, outcome.plan, whole.transcript!, whole.jobId, options.seamWindowSec ?? DEFAULT_SEAM_WINDOW_SEC);
}

export async function runEvaluation(runtime: JobRuntime, baseConfig: Config, inputs: readonly EvalInput[], options: EvalRunOptions): Promise<EvalResult[]> {
  const results: EvalResult[] = [];
  for (const input of inputs) {
    for (const backend of options.backends) {
      const config: Config = { ...baseConfig, backend, fallback: [], cache: false };
      options.log?.(`eval: ${input.audio} on ${backend}`);
      let outcome: JobOutcome;
      try {
        outcome = await transcribe(runtime, config, input.audio, options.signal);
      } catch (thrown) {
        const error = toParascribeError(thrown);
        if (error.code === 'ABORTED') throw error;
        results.push(failed(input.audio, backend, `${error.code}: ${error.message}`));
        continue;
      }
      const t = outcome.telemetry;
      const hypothesis = outcome.transcript?.text ?? '';
      let seams: SeamsOutcome | null = null;
      if (options.seams !== false) {
        try {
          seams = await seamsOf(runtime, config, outcome, options);
        } catch (thrown) {
          const error = toParascribeError(thrown);
          if (error.code === 'ABORTED') throw error;
          seams = { skipped: `the whole-file run failed: ${error.code}: ${error.message}` };
        }
      }
      results.push({
        file: input.audio,
        backend,
        status: 'ok',
        error: null,
        jobId: outcome.jobId,
        durationSec: t.durationSec,
        wallSec: t.wallSec,
        computeSec: t.computeSec,
        rtf: t.realTimeFactor,
        parallelism: t.parallelism,
        costUsd: t.costUsd,
        segments: t.segments,
        ...score(input.reference, hypothesis),
        seams,
        hypothesis,
      });
    }
  }
  return results;
}

/** A result as the `evaluations` table keeps it. */
export function toStoredEvaluation(r: EvalResult): NewEvaluation {
  return {
    file: r.file,
    backend: r.backend,
    status: r.status,
    job_id: r.jobId,
    duration_sec: r.durationSec,
    wall_sec: r.wallSec,
    compute_sec: r.computeSec,
    cost_usd: r.costUsd,
    segments: r.segments,
    ref_words: r.refWords,
    word_errors: r.wordErrors,
    ref_chars: r.refChars,
    char_errors: r.charErrors,
    wer: r.wer,
    cer: r.cer,
    seams_json: r.seams ? JSON.stringify(r.seams) : null,
    error: r.error,
  };
}
