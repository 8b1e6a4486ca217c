/**
 * `POST /v1/jobs/:id/ask` — a question about a job's transcript, answered as Server-Sent Events:
 * `context` (what the model is given: strategy, coverage, passages), `delta` (pieces of the answer,
 * citations already checked), then `done` (the whole answer with citations, coverage, tokens, cost)
 * or `error`. What can be refused before the answer starts (another owner's job, a bad body, no LLM
 * configured) is a plain JSON error with its status. `GET /v1/jobs/:id/questions`: the questions
 * asked so far, oldest first.
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { AskContext } from '../../ask/ask.js';
import { ASK_STRATEGIES } from '../../config/llm.js';
import { ParascribeError, toParascribeError } from '../../errors.js';
import { clientMessage } from '../../service/client-message.js';
import { answerView, contextView, questionView } from '../../service/question-views.js';
import type { TranscriptionService } from '../../service/service.js';
import type { AuthEnv } from '../auth/index.js';
import { errorBody } from '../http-errors.js';
import { readJsonBody } from '../json-body/index.js';
import { jsonBodyLimits } from './submit.js';

const askBody = z
  .object({
    question: z.string().max(20_000),
    strategy: z.enum(ASK_STRATEGIES).optional(),
    /** Wait for the job to end and answer over its whole transcript. */
    follow: z.boolean().optional(),
  })
  .strict();

/** While nothing else is sent (waiting for a segment, a map-reduce's first calls): keeps proxies from closing the stream. */
const HEARTBEAT_MS = 15_000;

export function askRoutes(service: TranscriptionService): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();

  app.post('/:id/ask', async (c) => {
    // Capped and paced like any request body (json-body/): c.req.json() would buffer whatever came.
    const raw = await readJsonBody(c.req.raw, {
      ...jsonBodyLimits(service),
      invalidMessage: 'the body must be JSON: {"question": "…", "strategy"?: "auto|full|retrieve|map-reduce", "follow"?: true}',
    });
    const parsed = askBody.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ParascribeError('INVALID_ARGUMENT', `${issue.path.join('.') || 'body'}: ${issue.message}`);
    }
    const { question, strategy, follow } = parsed.data;
    const owner = c.get('owner');
    const job = await service.checkAsk(owner, c.req.param('id'), question);
    const abort = new AbortController();
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => abort.abort());
      // Writes in order, one at a time: deltas come from the model's stream callbacks, not awaited there.
      let writing = Promise.resolve();
      const send = (event: string, data: unknown) => {
        writing = writing.then(() => stream.writeSSE({ event, data: JSON.stringify(data) })).catch(() => abort.abort());
      };
      const heartbeat = setInterval(() => {
        writing = writing.then(() => stream.write(': keep-alive\n\n')).then(() => undefined).catch(() => abort.abort());
      }, HEARTBEAT_MS);
      try {
        const result = await service.ask(owner, job.id, {
          question,
          ...(strategy ? { strategy } : {}),
          follow: follow === true,
          signal: abort.signal,
          onContext: (context: AskContext) => send('context', contextView(context)),
          onDelta: (text) => send('delta', { text }),
        });
        send('done', answerView(result));
      } catch (thrown) {
        if (!abort.signal.aborted) send('error', errorBody(toParascribeError(thrown), service.config.dataDir).error);
      } finally {
        clearInterval(heartbeat);
        await writing;
      }
    });
  });

  app.get('/:id/questions', async (c) => {
    const rows = await service.questions(c.get('owner'), c.req.param('id'));
    const known = [{ path: service.config.dataDir, as: '[server path]' }];
    const data = rows.map((row) => {
      const view = questionView(row);
      return view.error ? { ...view, error: { ...view.error, message: clientMessage(view.error.message, known) } } : view;
    });
    return c.json({ object: 'list', data });
  });

  return app;
}
