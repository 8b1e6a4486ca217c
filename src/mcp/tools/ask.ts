/**
 * `ask_transcript`: a question about one job's transcript, answered by the configured chat model with
 * [hh:mm:ss] citations checked against the transcript (src/ask/). Nothing streams over MCP: the result
 * is the whole answer, then its citations, coverage (what part of the recording it is about), tokens
 * and cost. A running job is answered over what is transcribed so far, unless `follow`.
 */
import { z } from 'zod';
import { MAX_QUESTION_CHARS } from '../../ask/ask.js';
import { ASK_STRATEGIES } from '../../config/llm.js';
import { answerView } from '../../service/question-views.js';
import { defineTool } from '../tool.js';
import { jobIdInput } from './get-job.js';

export const askTool = defineTool({
  name: 'ask_transcript',
  title: 'Ask a transcript',
  description:
    "Ask a question about one job's transcript; the answer cites [hh:mm:ss] times of the recording (checked: a time the transcript does not hold is dropped). A running job is answered over what is transcribed so far (the answer says how much) unless follow=true.",
  input: z.strictObject({
    job_id: jobIdInput,
    question: z.string().min(1).max(MAX_QUESTION_CHARS),
    strategy: z.enum(ASK_STRATEGIES).optional().describe('For a transcript longer than the model window: retrieve (the most relevant passages), map-reduce (every part), full (refused if it does not fit); auto (default) chooses by size.'),
    follow: z.boolean().default(false).describe('Wait for a running job to finish, then answer over the whole transcript.'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async run(args, ctx) {
    const result = await ctx.service.ask(ctx.owner, args.job_id, {
      question: args.question,
      ...(args.strategy ? { strategy: args.strategy } : {}),
      follow: args.follow,
      signal: ctx.signal,
    });
    const view = answerView(result);
    const { answer, ...details } = view;
    return {
      content: [
        { type: 'text', text: answer },
        { type: 'text', text: JSON.stringify({ citations: details.citations, dropped_citations: details.dropped_citations, coverage: details.coverage, strategy: details.strategy, model: details.model, usage: details.usage, cost_usd: details.cost_usd }, null, 2) },
      ],
      structuredContent: view,
    };
  },
});
