/** `parascribe transcribe <inputs...>`: one job per input file, run one after another. */
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Config } from '../config/schema.js';
import { toParascribeError, type ParascribeError } from '../errors.js';
import type { OutputFormat } from '../outputs/formats.js';
import { runChannelJobs } from '../pipeline/channels.js';
import type { JobEvents } from '../pipeline/events.js';
import { resolveChain, runJob, type JobOutcome } from '../pipeline/job.js';
import { openRuntime } from '../runtime.js';
import { expandInputs } from './inputs.js';
import { createProgress } from './progress.js';
import { telemetrySummary } from './render.js';

export interface TranscribeCommandOptions {
  output?: string;
  json: boolean;
  quiet: boolean;
  planOnly: boolean;
}

export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  signal: AbortSignal;
}

function jsonSummary(outcome: JobOutcome) {
  const t = outcome.telemetry;
  return {
    jobId: outcome.jobId,
    status: outcome.status,
    source: outcome.source,
    durationSec: round(t.durationSec),
    wallSec: round(t.wallSec),
    computeSec: round(t.computeSec),
    parallelism: round(t.parallelism),
    segments: t.segments,
    segmentsReused: t.segmentsReused,
    overheadPerSegmentSec: round(t.overheadPerSegmentSec),
    realTimeFactor: round(t.realTimeFactor, 4),
    coldStarts: t.coldStarts,
    costUsd: round(t.costUsd, 6),
    cacheHit: t.cacheHit,
    ...(t.firstResultSec !== undefined ? { firstResultSec: round(t.firstResultSec) } : {}),
    ...(t.plan ? { planChoice: t.plan } : {}),
    ...(t.hedges ? { hedges: { count: t.hedges.count, won: t.hedges.won, audioSec: round(t.hedges.audioSec) } } : {}),
    ...(t.warmPool ? { warmPool: t.warmPool } : {}),
    output: outcome.output,
    ...(outcome.status === 'planned' ? { plan: outcome.plan } : {}),
  };
}

const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

/** Returns the exit code: 0, or the first failure's code. */
export async function transcribeCommand(inputs: string[], config: Config, options: TranscribeCommandOptions, io: CliIo): Promise<number> {
  const format = config.format as OutputFormat;
  const runtime = await openRuntime(config, {
    // Unknown or misconfigured backends fail here, before any job starts.
    checkBackends: (backends) => resolveChain(config, backends),
    onBreaker: (t) => {
      if (!options.quiet) io.stderr.write(`\nparascribe: breaker ${t.backend}: ${t.from} → ${t.to} (${t.reason})\n`);
    },
    // A canary's verdict (rolled back, ready) and shadow notices.
    rolloutLog: (line) => {
      if (!options.quiet) io.stderr.write(`\nparascribe: ${line}\n`);
    },
  });
  let firstFailure: ParascribeError | undefined;
  try {
    const planned = await expandInputs(inputs, format, options.output, io.signal);
    // Jobs whose process died (kill -9, reboot) are marked interrupted and their scratch files removed;
    // their finished segments stay available for reuse.
    for (const id of await runtime.store.markInterruptedJobs()) {
      await rm(join(config.dataDir, 'work', id), { recursive: true, force: true });
    }
    for (const item of planned) {
      if (io.signal.aborted) break;
      let progress = createProgress(io.stderr, basename(item.input), !options.quiet);
      try {
        if (config.speakers === 'channels') {
          // One job per channel (each with its own bar and summary), merged into one output.
          const merged = await runChannelJobs({
            input: item.input,
            outputPath: options.planOnly ? null : item.outputPath,
            format,
            config,
            runtime,
            signal: io.signal,
            planOnly: options.planOnly,
            eventsFor: (channel, channels): JobEvents => {
              progress.stop();
              progress = createProgress(io.stderr, `${basename(item.input)} [channel ${channel + 1}/${channels}]`, !options.quiet);
              return progress;
            },
            onTrack: (outcome, channel) => {
              progress.stop();
              if (!options.quiet) io.stderr.write(`parascribe: job ${outcome.jobId} ${outcome.status}: ${item.input}, channel ${channel + 1} (SPEAKER_${channel + 1})\n${telemetrySummary(outcome.telemetry)}\n`);
            },
          });
          if (!options.quiet && merged.output) io.stderr.write(`parascribe: ${merged.tracks.length} channels merged by time → ${merged.output}\n`);
          if (options.json) {
            const tracks = merged.tracks.map((t, i) => ({ channel: i + 1, speaker: `SPEAKER_${i + 1}`, ...jsonSummary(t), output: null }));
            io.stdout.write(`${JSON.stringify({ source: item.input, status: tracks[0]?.status ?? 'completed', speakers: 'channels', output: merged.output, tracks })}\n`);
          }
          continue;
        }
        const outcome = await runJob({
          input: item.input,
          outputPath: options.planOnly ? null : item.outputPath,
          format,
          config,
          runtime,
          signal: io.signal,
          events: progress,
          planOnly: options.planOnly,
        });
        progress.stop();
        if (!options.quiet) {
          const where = outcome.output ? ` → ${outcome.output}` : '';
          io.stderr.write(`parascribe: job ${outcome.jobId} ${outcome.status}: ${item.input}${where}\n${telemetrySummary(outcome.telemetry)}\n`);
        }
        if (options.json) io.stdout.write(`${JSON.stringify(jsonSummary(outcome))}\n`);
      } catch (thrown) {
        progress.stop();
        const error = toParascribeError(thrown);
        firstFailure ??= error;
        io.stderr.write(`parascribe: error[${error.code}]: ${error.message}\n`);
        if (options.json) io.stdout.write(`${JSON.stringify({ source: item.input, status: 'failed', error: { code: error.code, message: error.message } })}\n`);
        if (error.code === 'ABORTED' || error.code === 'TOOL_MISSING' || error.code === 'BACKEND_UNAVAILABLE') break;
      }
    }
  } finally {
    await runtime.close();
  }
  return firstFailure ? firstFailure.exitCode : 0;
}
