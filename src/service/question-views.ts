/**
 * An answer as the API (the `done` event, GET /v1/jobs/:id/questions) and `parascribe ask --json`
 * show it: snake_case, units in the names, one shape whether it comes from a fresh answer or from the
 * stored row.
 */
import type { AskContext, AskResult } from '../ask/ask.js';
import type { CheckedCitation, DroppedCitation } from '../ask/citations.js';
import { coverageNote } from '../ask/coverage.js';
import type { QuestionRow } from '../store/questions.js';

const round = (value: number, digits = 3): number => Number(value.toFixed(digits));
const roundOrNull = (value: number | null, digits = 3): number | null => (value === null ? null : round(value, digits));

/** What the model is given: the `context` event, and part of every answer. */
export function contextView(context: AskContext) {
  const c = context.coverage;
  return {
    strategy: context.strategy,
    strategy_reason: context.reason,
    coverage: {
      complete: c.complete,
      to_sec: round(c.toSec),
      total_sec: c.totalSec === null ? null : round(c.totalSec),
      job_status: c.jobStatus,
      segments_done: c.segmentsDone,
      segments_total: c.segmentsTotal,
      note: coverageNote(c),
    },
    context: {
      passages: context.passages,
      passages_total: context.passagesTotal,
      tokens: context.tokens,
      tokens_total: context.tokensTotal,
      spans: context.spans.map((s) => ({ start_sec: round(s.startSec), end_sec: round(s.endSec) })),
    },
  };
}

const citationViews = (valid: readonly CheckedCitation[], dropped: readonly DroppedCitation[]) => ({
  citations: valid.map((c) => ({ marker: c.marker, sec: c.sec, passage_start_sec: round(c.passageStartSec) })),
  dropped_citations: dropped.map((d) => ({ marker: d.marker, sec: d.sec, reason: d.reason })),
});

/** A fresh answer (the `done` event of POST /v1/jobs/:id/ask). */
export function answerView(result: AskResult) {
  return {
    id: result.id,
    object: 'transcript.answer',
    job_id: result.jobId,
    status: 'answered',
    question: result.question,
    answer: result.answer,
    model: result.model,
    ...contextView(result.context),
    ...citationViews(result.citations, result.dropped),
    usage: { input_tokens: result.usage.inputTokens, output_tokens: result.usage.outputTokens, estimated: result.usage.estimated, calls: result.usage.calls },
    cost_usd: round(result.costUsd, 6),
    first_token_sec: roundOrNull(result.firstTokenSec),
    wall_sec: round(result.wallSec),
  };
}

/** A stored question (GET /v1/jobs/:id/questions, `jobs show --json`). */
export function questionView(row: QuestionRow) {
  const context = JSON.parse(row.coverage_json) as AskContext;
  const citations = JSON.parse(row.citations_json) as { valid: CheckedCitation[]; dropped: DroppedCitation[] };
  return {
    id: row.id,
    object: 'transcript.answer',
    job_id: row.job_id,
    status: row.status,
    created_at: new Date(row.created_at * 1000).toISOString(),
    question: row.question,
    answer: row.answer,
    model: row.model,
    ...contextView(context),
    ...citationViews(citations.valid, citations.dropped),
    usage: { input_tokens: row.input_tokens, output_tokens: row.output_tokens, estimated: row.tokens_estimated === 1, calls: row.llm_calls },
    cost_usd: round(row.cost_usd, 6),
    first_token_sec: roundOrNull(row.first_token_sec),
    wall_sec: roundOrNull(row.wall_sec),
    error: row.error_code ? { code: row.error_code, message: row.error ?? '' } : null,
  };
}
