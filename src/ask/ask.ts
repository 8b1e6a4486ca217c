/**
 * Asking a job's transcript a question: the one implementation behind `parascribe ask`,
 * `POST /v1/jobs/:id/ask` (and the MCP server to come). Callers resolve and authorise the job; this
 * reads what is finished of it (source.ts), chooses what the model is given (strategy.ts), streams
 * the answer through the citation check (citations.ts) and stores question and answer with the job.
 *
 *   finished transcript → md passages → plan (full | retrieve | map-reduce) → chat → checked answer
 */
import type { AskStrategy, LlmConfig } from '../config/llm.js';
import { ParascribeError, toParascribeError } from '../errors.js';
import type { ChatAnswer, ChatClient } from '../llm/client.js';
import { costUsd } from '../llm/settings.js';
import { sleep } from '../queue/retry.js';
import type { JobRow } from '../store/jobs.js';
import { CitationFilter, type CheckedCitation, type DroppedCitation } from './citations.js';
import { coverageNote, type Coverage } from './coverage.js';
import { contextText, passagesOf, totalTokens, type Passage } from './passages.js';
import { answerMessages, fixedTokens, mapMessages, reduceMessages, type ContextNotes } from './prompt.js';
import { finishedTranscript, type FinishedTranscript, type SourceDeps } from './source.js';
import { planAsk, planPassages, transcriptBudget, type AskPlan, type ResolvedStrategy } from './strategy.js';
import { formatMarker } from '../outputs/time.js';

export interface AskDeps extends SourceDeps {
  /** The chat client (Runtime.llm): throws LLM_NOT_CONFIGURED before anything else happens. */
  llm: () => ChatClient;
  config: Pick<LlmConfig, 'strategy' | 'maxMapCalls'>;
  /** Resolves when the job may have changed (the service's JobWatch); default: polls every 500 ms. */
  wait?: (jobId: string, timeoutMs: number, signal?: AbortSignal) => Promise<unknown>;
}

export interface AskInput {
  job: JobRow;
  question: string;
  strategy?: AskStrategy;
  /** Wait for the job to end, then answer over its whole transcript. */
  follow?: boolean;
  signal?: AbortSignal;
  /** Once the context is chosen, before the model is called. */
  onContext?: (context: AskContext) => void;
  /** The answer as it streams; citations already checked (a dropped one never appears). */
  onDelta?: (text: string) => void;
}

export interface AskContext {
  strategy: ResolvedStrategy;
  reason: string;
  coverage: Coverage;
  /** Passages given to the model, of all the transcript's passages. */
  passages: number;
  passagesTotal: number;
  /** Estimated tokens of the transcript text given, and of all of it. */
  tokens: number;
  tokensTotal: number;
  /** The stretches of the recording given, in seconds (one for full; several for retrieve). */
  spans: Array<{ startSec: number; endSec: number }>;
}

export interface AskResult {
  id: string;
  jobId: string;
  question: string;
  answer: string;
  model: string;
  context: AskContext;
  citations: CheckedCitation[];
  dropped: DroppedCitation[];
  usage: { inputTokens: number; outputTokens: number; estimated: boolean; calls: number };
  costUsd: number;
  /** Seconds from the call: to the first piece of the model's answer, and to the end. */
  firstTokenSec: number | null;
  wallSec: number;
}

export const MAX_QUESTION_CHARS = 4000;

const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'interrupted']);

/** The question as asked (trimmed), or INVALID_ARGUMENT. */
export function checkQuestion(raw: string): string {
  const question = raw.trim();
  if (question === '') throw new ParascribeError('INVALID_ARGUMENT', 'the question is empty');
  if (question.length > MAX_QUESTION_CHARS) throw new ParascribeError('INVALID_ARGUMENT', `the question is longer than ${MAX_QUESTION_CHARS} characters`);
  return question;
}

export async function askJob(deps: AskDeps, input: AskInput): Promise<AskResult> {
  const started = performance.now();
  const question = checkQuestion(input.question);
  const client = deps.llm(); // not configured: fail now, not after waiting for the job
  const signal = input.signal ?? new AbortController().signal;
  const { job, finished } = await waitForTranscript(deps, input.job, input.follow === true, signal);
  const passages = passagesOf(finished.transcript);
  const note = coverageNote(finished.coverage);
  const settings = client.settings;
  const notes: ContextNotes = { coverage: note, retrieved: true }; // budgets priced with the longest notes
  const plan = planAsk({
    passages,
    question,
    requested: input.strategy ?? deps.config.strategy,
    budgetTokens: transcriptBudget(settings, fixedTokens((t) => answerMessages(question, t, notes))),
    mapBudgetTokens: transcriptBudget(settings, fixedTokens((t) => mapMessages(question, t, 99, 99, notes))),
    maxMapCalls: deps.config.maxMapCalls,
  });
  const given = planPassages(plan);
  const context: AskContext = {
    strategy: plan.strategy,
    reason: plan.reason,
    coverage: finished.coverage,
    passages: given.length,
    passagesTotal: passages.length,
    tokens: totalTokens(given),
    tokensTotal: totalTokens(passages),
    spans: spansOf(given),
  };
  input.onContext?.(context);

  let answer = '';
  let firstTokenSec: number | null = null;
  const emit = (text: string) => {
    if (text === '') return;
    answer += text;
    input.onDelta?.(text);
  };
  // "The answer starts with what it covers": said here, not left to the model.
  if (note) emit(`${note[0]!.toUpperCase()}${note.slice(1)}.\n\n`);
  const filter = new CitationFilter(given, passages);
  const onModelDelta = (delta: string) => {
    firstTokenSec ??= (performance.now() - started) / 1000;
    emit(filter.push(delta));
  };
  const calls: ChatAnswer[] = [];
  const record = (row: { status: string; error_code: string | null; error: string | null }) =>
    deps.store.questions.insert({
      job_id: job.id,
      question,
      answer,
      strategy: plan.strategy,
      model: calls.at(-1)?.model ?? settings.model,
      coverage_json: JSON.stringify(context),
      citations_json: JSON.stringify({ valid: filter.valid, dropped: filter.dropped }),
      input_tokens: sum(calls, (c) => c.usage.inputTokens),
      output_tokens: sum(calls, (c) => c.usage.outputTokens),
      tokens_estimated: calls.some((c) => c.usage.estimated) ? 1 : 0,
      llm_calls: calls.length,
      cost_usd: costUsd(settings, sum(calls, (c) => c.usage.inputTokens), sum(calls, (c) => c.usage.outputTokens)),
      first_token_sec: firstTokenSec,
      wall_sec: (performance.now() - started) / 1000,
      ...row,
    });
  try {
    if (given.length === 0) {
      emit('The transcript holds no speech to answer from.');
    } else if (plan.strategy === 'map-reduce') {
      await mapReduce(client, plan, question, { coverage: note }, signal, calls, onModelDelta);
    } else {
      const messages = answerMessages(question, contextText(plan.passages), { coverage: note, retrieved: plan.strategy === 'retrieve' });
      calls.push(await client.chat({ messages, signal, onDelta: onModelDelta }));
    }
    emit(filter.end());
  } catch (thrown) {
    const error = toParascribeError(thrown);
    emit(filter.end());
    await record({ status: 'failed', error_code: error.code, error: error.message }).catch(() => undefined);
    throw error;
  }
  const row = await record({ status: 'answered', error_code: null, error: null });
  return {
    id: row.id,
    jobId: job.id,
    question,
    answer,
    model: row.model ?? settings.model,
    context,
    citations: filter.valid,
    dropped: filter.dropped,
    usage: { inputTokens: row.input_tokens, outputTokens: row.output_tokens, estimated: row.tokens_estimated === 1, calls: row.llm_calls },
    costUsd: row.cost_usd,
    firstTokenSec,
    wallSec: row.wall_sec ?? 0,
  };
}

/**
 * The job's finished transcript: after the job ends (`follow`), or as soon as at least its first
 * segment is done (a question asked right after submitting waits for that, not for the whole job).
 */
async function waitForTranscript(deps: AskDeps, start: JobRow, follow: boolean, signal: AbortSignal): Promise<{ job: JobRow; finished: FinishedTranscript }> {
  const wait = deps.wait ?? ((_id: string, _ms: number, s?: AbortSignal) => sleep(500, s));
  let job = start;
  for (;;) {
    const ended = TERMINAL.has(job.status);
    if (ended || !follow) {
      const finished = await finishedTranscript(deps, job);
      if (finished) return { job, finished };
      if (ended) throw new ParascribeError('NOT_READY', `job ${job.id} ended ${job.status} before any of its transcript was finished`, { isRetryable: false });
    }
    await wait(job.id, 5_000, signal);
    if (signal.aborted) throw new ParascribeError('ABORTED', 'aborted');
    const next = await deps.store.getJob(job.id);
    if (!next) throw new ParascribeError('JOB_NOT_FOUND', `no job ${job.id}`);
    job = next;
  }
}

/** Notes from each chunk (in parallel, not shown), then the answer from the notes (streamed). */
async function mapReduce(
  client: ChatClient,
  plan: Extract<AskPlan, { strategy: 'map-reduce' }>,
  question: string,
  notes: ContextNotes,
  signal: AbortSignal,
  calls: ChatAnswer[],
  onDelta: (delta: string) => void,
): Promise<void> {
  const parts = plan.chunks.length;
  const reduceBudget = transcriptBudget(client.settings, fixedTokens((t) => reduceMessages(question, t, notes)));
  // Each part's notes get an equal share of the reduce call's room (less its header line).
  const mapTokens = Math.max(32, Math.min(client.settings.maxAnswerTokens, Math.floor(reduceBudget / parts) - 16));
  // One failed part fails the answer: the others are stopped rather than paid for.
  const siblings = new AbortController();
  const mapSignal = AbortSignal.any([signal, siblings.signal]);
  const mapped = await Promise.all(
    plan.chunks.map((chunk, i) =>
      client.chat({ messages: mapMessages(question, contextText(chunk), i + 1, parts, notes), maxTokens: mapTokens, signal: mapSignal }).then((answer) => {
        calls.push(answer);
        return answer;
      }),
    ),
  ).catch((error: unknown) => {
    siblings.abort();
    throw error;
  });
  const partNotes = mapped
    .map((answer, i) => {
      const chunk = plan.chunks[i]!;
      return `Notes on part ${i + 1} ([${formatMarker(chunk[0]!.startSec)}]–[${formatMarker(chunk.at(-1)!.endSec)}]):\n${answer.text.trim()}`;
    })
    .join('\n\n');
  calls.push(await client.chat({ messages: reduceMessages(question, partNotes, notes), signal, onDelta }));
}

function spansOf(passages: readonly Passage[]): Array<{ startSec: number; endSec: number }> {
  const spans: Array<{ startSec: number; endSec: number; last: number }> = [];
  for (const p of passages) {
    const open = spans.at(-1);
    if (open && p.index === open.last + 1) Object.assign(open, { endSec: Math.max(open.endSec, p.endSec), last: p.index });
    else spans.push({ startSec: p.startSec, endSec: p.endSec, last: p.index });
  }
  return spans.map(({ startSec, endSec }) => ({ startSec, endSec }));
}

const sum = <T>(items: readonly T[], pick: (item: T) => number): number => items.reduce((total, item) => total + pick(item), 0);
