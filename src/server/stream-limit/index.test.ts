import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { errorResponse } from '../http-errors.js';
import type { AuthEnv } from '../auth/index.js';
import { OpenStreams, streamLimit } from './index.js';

test('OpenStreams: per owner, up to the limit; release is idempotent and frees one slot', () => {
  const streams = new OpenStreams(2);
  const a1 = streams.acquire('alice');
  streams.acquire('alice');
  assert.throws(() => streams.acquire('alice'), (e: { code: string; details: { retryAfterSec: number } }) => e.code === 'TOO_MANY_STREAMS' && e.details.retryAfterSec > 0);
  streams.acquire('bob'); // another key has its own slots
  a1();
  a1();
  assert.equal(streams.count('alice'), 1);
  streams.acquire('alice');
  assert.equal(streams.count('alice'), 2);
});

function app(streams: OpenStreams, gate: { open: Promise<void> }): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.onError((error, c) => errorResponse(c, error));
  app.use('*', async (c, next) => {
    c.set('owner', c.req.header('x-owner') ?? 'alice');
    await next();
  });
  app.use('/events/*', streamLimit(streams));
  app.get('/events/missing', () => {
    throw Object.assign(new Error('no job'), { code: 'JOB_NOT_FOUND' });
  });
  app.get('/events/:id', (c) =>
    streamSSE(c, async (stream) => {
      await stream.writeSSE({ event: 'progress', data: '{}' });
      await gate.open;
      await stream.writeSSE({ event: 'done', data: '{}' });
    }),
  );
  return app;
}

test('streamLimit: 429 TOO_MANY_STREAMS with Retry-After past the limit; a finished or cancelled stream frees its slot', async () => {
  let openGate!: () => void;
  const gate = { open: new Promise<void>((r) => (openGate = r)) };
  const streams = new OpenStreams(2);
  const server = app(streams, gate);
  const first = await server.request('/events/1');
  const second = await server.request('/events/2');
  assert.equal(first.status, 200);
  assert.equal(second.status, 200);
  const refused = await server.request('/events/3');
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get('retry-after'), '5');
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'TOO_MANY_STREAMS');
  assert.equal((await server.request('/events/4', { headers: { 'x-owner': 'bob' } })).status, 200, 'bob has his own slots');
  // The client goes away: cancelling the body frees the slot.
  await first.body!.cancel();
  assert.equal(streams.count('alice'), 1);
  // A stream that ends (its job is done) frees its slot once read to the end.
  openGate();
  await second.text();
  assert.equal(streams.count('alice'), 0);
  // An error answer is no stream: it holds nothing.
  assert.equal((await server.request('/events/missing')).status, 404);
  assert.equal(streams.count('alice'), 0);
});
