/**
 * `parascribe ask <job-id|file> <question...>`: the answer streams to stdout (citations already
 * checked); what the model was given, tokens, cost and dropped citations go to stderr. A file is
 * transcribed first (a repeat is a cache hit); a job still running is answered over its finished
 * prefix, or after it ends with --follow. The work itself is src/ask/ask.ts, shared with the API.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { askJob, checkQuestion, type AskContext, type AskResult } from '../ask/ask.js';
import { coverageNote } from '../ask/coverage.js';
import type { AskStrategy } from '../config/llm.js';
import type { Config } from '../config/schema.js';
import { ParascribeError } from '../errors.js';
import { resolveChain, runJob } from '../pipeline/job.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { answerView } from '../service/question-views.js';
import type { JobRow } from '../store/jobs.js';
import { createProgress } from './progress.js';
import type { CliIo } from './transcribe.js';

export interface AskCommandOptions {
  follow: boolean;
  json: boolean;
  quiet: boolean;
  strategy?: AskStrategy;
}

export async function askCommand(target: string, rawQuestion: string, config: Config, options: AskCommandOptions, io: CliIo): Promise<number> {
  const note = (line: string) => {
    if (!options.quiet) io.stderr.write(`parascribe: ${line}\n`);
  };
  const runtime = await openRuntime(config, { onBreaker: (t) => note(`breaker ${t.backend}: ${t.from} → ${t.to} (${t.reason})`) });
  try {
    // Both are checked before a file is transcribed: a missing LLM setting should not cost a transcription.
    const question = checkQuestion(rawQuestion);
    runtime.llm();
    const job = await jobFor(runtime, target, options, io);
    let streamed = false;
    const result = await askJob(
      { store: runtime.store, cache: runtime.cache, llm: () => runtime.llm(), config: config.llm },
      {
        job,
        question,
        ...(options.strategy ? { strategy: options.strategy } : {}),
        follow: options.follow,
        signal: io.signal,
        onContext: (context) => note(describeContext(job.id, context)),
        onDelta: (text) => {
          if (options.json) return;
          streamed = true;
          io.stdout.write(text);
        },
      },
    );
    if (options.json) io.stdout.write(`${JSON.stringify(answerView(result))}\n`);
    else if (streamed) io.stdout.write('\n');
    for (const line of summary(result)) note(line);
    return 0;
  } finally {
    await runtime.close();
  }
}

/** An existing job (id or unique prefix), or a file transcribed now. */
async function jobFor(runtime: Runtime, target: string, options: AskCommandOptions, io: CliIo): Promise<JobRow> {
  const info = await stat(target).catch(() => undefined);
  if (info?.isDirectory()) throw new ParascribeError('INVALID_ARGUMENT', `${target} is a directory: ask takes one file or job id`);
  if (info) {
    resolveChain(runtime.config, runtime.backends);
    const progress = createProgress(io.stderr, basename(target), !options.quiet && !options.json);
    try {
      const outcome = await runJob({ input: target, outputPath: null, format: 'txt', config: runtime.config, runtime, signal: io.signal, events: progress });
      progress.stop();
      return (await runtime.store.getJob(outcome.jobId))!;
    } catch (error) {
      progress.stop();
      throw error;
    }
  }
  const job = await runtime.store.findJob(target);
  if (job === 'ambiguous') throw new ParascribeError('INVALID_ARGUMENT', `job id prefix "${target}" matches several jobs; give more characters`);
  if (!job) throw new ParascribeError('JOB_NOT_FOUND', `no job with id "${target}", and no such file`);
  return job;
}

function describeContext(jobId: string, context: AskContext): string {
  const covers = coverageNote(context.coverage);
  const given = context.strategy === 'full' ? 'the whole transcript' : `${context.passages} of ${context.passagesTotal} passages`;
  return `job ${jobId}: ${context.reason}; the model gets ${given} (~${context.tokens} tokens)${covers ? `; ${covers}` : ''}`;
}

function summary(result: AskResult): string[] {
  const { usage } = result;
  const tokens = `${usage.inputTokens} tokens in, ${usage.outputTokens} out${usage.estimated ? ' (estimated)' : ''}${usage.calls > 1 ? ` over ${usage.calls} calls` : ''}`;
  const lines = [`${result.model}: ${tokens}, $${result.costUsd.toFixed(6)}; ${result.citations.length} citation(s) checked; first token after ${result.firstTokenSec?.toFixed(2) ?? '-'} s`];
  for (const dropped of result.dropped) lines.push(`dropped citation ${dropped.marker}: ${dropped.reason}`);
  return lines;
}
