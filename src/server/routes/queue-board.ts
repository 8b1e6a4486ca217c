/**
 * Distributed mode's queue inspection: bull-board under `/admin/queues` (app.ts puts the API's
 * bearer auth in front of it). Read-only: retrying, removing or pausing a task from here would race
 * the dispatcher's own bookkeeping. The signed audio URL in each task's data is redacted, since any
 * API key holder can open the board.
 *
 * Queues are created lazily per backend, so the board lists, on every request, the queues of the
 * backends in config (QueueInspector.backendIds: the default primary, routing rules, pressure
 * diversions, `backends` entries), those this server has dispatched to, and those live workers announce.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Queue } from 'bullmq';
import { Hono } from 'hono';

export const QUEUE_BOARD_PATH = '/admin/queues';

export interface QueueBoardSource {
  queues(): Queue[];
}

export function queueBoardRoutes(source: QueueBoardSource): Hono {
  const serverAdapter = new HonoAdapter(serveStatic).setBasePath(QUEUE_BOARD_PATH);
  const board = createBullBoard({
    queues: [],
    // @bull-board/hono 9.10.1 pins its own @bull-board/api 9.10.1 for its types (ours is 9.10.2): the
    // same interface from two declaration files. The adapter uses none of that package at run time.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: { uiConfig: { boardTitle: 'parascribe segment queues' } },
  });
  const shown = new Map<string, Queue>();
  const app = new Hono();
  app.use('*', async (_c, next) => {
    for (const queue of source.queues()) {
      if (shown.get(queue.name) === queue) continue;
      if (shown.has(queue.name)) board.removeQueue(queue.name); // the source replaced a failed Queue
      const adapter = new BullMQAdapter(queue, { readOnlyMode: true, allowRetries: false });
      adapter.setFormatter('data', redactAudioUrl);
      board.addQueue(adapter);
      shown.set(queue.name, queue);
    }
    await next();
  });
  app.route('/', serverAdapter.registerPlugin());
  return app;
}

function redactAudioUrl(data: unknown): unknown {
  if (data && typeof data === 'object' && 'audioUrl' in data) return { ...data, audioUrl: '(signed URL, hidden)' };
  return data;
}
