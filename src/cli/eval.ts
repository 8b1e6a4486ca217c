/**
 * `parascribe eval <dir|file…> [--backends a,b] [--refs dir] [--compare] [--json]`: every audio file
 * with a reference transcript on every backend, scored (WER, CER), timed (wall, RTF, k), costed and
 * checked at its seams (src/ops/eval/); the run is stored (table `evaluations`) so that the next
 * `--compare` shows the change. `eval --compare` without inputs compares the newest stored run with
 * the runs before it, without transcribing anything.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { nowSec } from '../core/time.js';
import { ERROR_CODES, isErrorCode, ParascribeError } from '../errors.js';
import { findEvalInputs } from '../ops/eval/inputs.js';
import { runEvaluation, toStoredEvaluation, type EvalResult } from '../ops/eval/runner.js';
import { compareWith, evalTable, fromStored, totalsByBackend, type Comparison, type EvalFigures } from '../ops/eval/table.js';
import { resolveChain } from '../pipeline/job.js';
import { openRuntime } from '../runtime.js';
import { newRunId } from '../store/evaluations.js';
import type { CliIo } from './transcribe.js';

export interface EvalCommandOptions {
  /** Backend ids; default: the configured primary backend. */
  backends?: string[] | undefined;
  refs?: string | undefined;
  compare: boolean;
  seams: boolean;
  seamWindowSec?: number | undefined;
  json: boolean;
  quiet: boolean;
}

/** The exit code of the first failed run ('CODE: message'), else 0. */
function exitCodeOf(results: readonly { status: string; error?: string | null }[]): number {
  const failure = results.find((r) => r.status === 'failed');
  if (!failure) return 0;
  const code = /^([A-Z_]+):/.exec(failure.error ?? '')?.[1];
  return code && isErrorCode(code) ? ERROR_CODES[code].exitCode : 1;
}

function jsonDocument(runId: string, createdAtSec: number, results: ReadonlyArray<EvalFigures & Partial<EvalResult>>, comparison: Comparison | undefined) {
  return {
    object: 'evaluation',
    runId,
    createdAt: new Date(createdAtSec * 1000).toISOString(),
    results: results.map((r) => ({ ...r, rtf: r.durationSec > 0 ? r.wallSec / r.durationSec : null, parallelism: r.wallSec > 0 ? r.computeSec / r.wallSec : null })),
    totals: totalsByBackend(results),
    ...(comparison ? { comparison } : {}),
  };
}

export async function evalCommand(paths: string[], config: Config, options: EvalCommandOptions, io: CliIo): Promise<number> {
  if (paths.length === 0 && !options.compare) {
    throw new ParascribeError('INVALID_ARGUMENT', 'give audio files or directories to evaluate (or --compare alone to compare the newest stored run with the one before)');
  }
  let backends = options.backends ?? [];
  const runtime = await openRuntime(config, {
    // Unknown or misconfigured backends fail here, before any file is transcribed.
    checkBackends: (set) => {
      if (backends.length === 0) backends = [resolveChain(config, set).primary.id];
      for (const id of backends) set.get(id);
    },
  });
  const log = (line: string) => {
    if (!options.quiet) io.stderr.write(`parascribe: ${line}\n`);
  };
  try {
    const { evaluations } = runtime.store;
    let runId: string;
    let createdAtSec: number;
    let results: Array<EvalFigures & Partial<EvalResult>>;
    if (paths.length > 0) {
      const { inputs, skipped } = await findEvalInputs(paths, options.refs, io.signal);
      for (const file of skipped) log(`eval: skipping ${file}: no reference transcript`);
      for (const id of await runtime.store.markInterruptedJobs()) await rm(join(config.dataDir, 'work', id), { recursive: true, force: true });
      runId = newRunId();
      createdAtSec = nowSec();
      const fresh = await runEvaluation(runtime, config, inputs, {
        backends,
        seams: options.seams,
        ...(options.seamWindowSec !== undefined ? { seamWindowSec: options.seamWindowSec } : {}),
        signal: io.signal,
        log,
      });
      await evaluations.insertRun(runId, createdAtSec, fresh.map(toStoredEvaluation));
      results = fresh;
    } else {
      const latest = (await evaluations.latestRuns(1))[0];
      if (!latest) throw new ParascribeError('INVALID_ARGUMENT', 'no stored evaluation yet: run parascribe eval <files> first');
      ({ runId, createdAtSec } = latest);
      results = (await evaluations.listRun(runId)).map((row) => ({ ...fromStored(row), error: row.error, jobId: row.job_id }));
    }
    const comparison = options.compare ? compareWith(results, await evaluations.previousOf(runId, createdAtSec, results)) : undefined;
    if (options.json) {
      io.stdout.write(`${JSON.stringify(jsonDocument(runId, createdAtSec, results, comparison))}\n`);
    } else {
      io.stdout.write(`${evalTable(results, comparison)}\n`);
      if (comparison && comparison.rows.length === 0) io.stdout.write('no earlier run of these files and backends to compare with\n');
      else if (comparison) io.stdout.write(`compared with the previous run of each file and backend (${[...new Set(comparison.rows.map((r) => r.previousRunId))].join(', ')})\n`);
      io.stdout.write(paths.length > 0 ? `run ${runId} stored\n` : `run ${runId} (stored ${new Date(createdAtSec * 1000).toISOString()})\n`);
    }
    return exitCodeOf(results);
  } finally {
    await runtime.close();
  }
}
