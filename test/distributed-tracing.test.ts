/**
 * OpenTelemetry traces across processes (issue 16, acceptance "a distributed job yields one trace with
 * the worker's segment spans as children"): one `parascribe serve` and one `parascribe worker` on a
 * private Redis and a throw-away PostgreSQL database, both exporting to a fake OTLP/HTTP receiver. The
 * server's dispatch span puts its trace context on the task; the worker's span continues it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FIXTURES, ffmpeg } from './helpers/cli.js';
import { clusterSkipReason, startCluster, type Cluster } from './helpers/cluster.js';
import { submitFile, TEST_KEYS, waitForJob } from './helpers/server.js';
import { childrenOf, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './fakes/otlp-receiver.js';

describe('distributed traces: serve + worker, one trace per job', { skip: await clusterSkipReason() }, () => {
  let receiver: OtlpReceiver;
  let cluster: Cluster;
  let clip: string;

  before(async () => {
    receiver = await startOtlpReceiver();
    cluster = await startCluster({
      name: 'distributed-tracing',
      // The fake's first transcription request fails (a 5xx): that segment is retried on the worker.
      faults: { schedule: ['fail', 'ok', 'ok', 'ok', 'ok', 'ok'], failStatus: 503 },
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '200' },
    });
    // 30 s of real speech: cut at pauses into about three 10 s segments.
    clip = join(cluster.dir, 'clip.wav');
    ffmpeg(['-t', '30', '-i', join(FIXTURES, 'gpl-preamble.mp3'), '-ac', '1', '-ar', '16000', clip]);
    await cluster.startWorker(['--backends', 'fake', '--concurrency', '2']);
  });

  after(async () => {
    await cluster?.stop();
    await receiver?.close();
  });

  test("the job's trace holds the server's stages and, under each dispatch span, the worker's segment span and attempts", async () => {
    const { status, body } = await submitFile(cluster.server.url, clip, { backend: 'fake', segment_sec: '10' }, TEST_KEYS[0], 'clip.wav');
    assert.equal(status, 202, JSON.stringify(body));
    const id = String(body.id);
    const job = await waitForJob(cluster.server.url, id, TEST_KEYS[0], 180_000, 250);
    assert.equal(job.status, 'completed', JSON.stringify(job.error));
    const total = Number(job.progress.segments_total);
    assert.ok(total >= 3, `30 s at 10 s segments: ${total}`);

    const role = (s: ReceivedSpan) => s.resource['parascribe.role'];
    const ofJob = (s: ReceivedSpan) => s.attributes['parascribe.job.id'] === id;
    const spans = await receiver.waitFor(
      (all) => all.some((s) => s.name === 'job' && ofJob(s)) && all.filter((s) => s.name === 'worker.segment' && ofJob(s) && s.statusCode !== 2).length >= total,
      60_000,
    );
    const root = spans.find((s) => s.name === 'job' && ofJob(s))!;
    assert.equal(root.parentSpanId, '');
    assert.equal(role(root), 'server');
    assert.equal(root.attributes['parascribe.segments'], total);
    const trace = spans.filter((s) => s.traceId === root.traceId);
    // One trace: every span naming the job is in it, and it spans both processes.
    assert.deepEqual(spans.filter(ofJob).filter((s) => s.traceId !== root.traceId), []);
    assert.deepEqual([...new Set(trace.map(role))].sort(), ['server', 'worker']);
    assert.deepEqual(trace.filter((s) => s.parentSpanId === ''), [root], 'one root');
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    assert.ok(trace.every((s) => s === root || byId.has(s.parentSpanId)), 'every span hangs off the job');

    const transcribe = childrenOf(trace, root, 'transcribe')[0]!;
    const segments = childrenOf(trace, transcribe, 'segment');
    assert.equal(segments.length, total);
    const attempts: ReceivedSpan[] = [];
    for (const segment of segments) {
      // Server side: the job's segment span → its dispatch span(s) onto the queue.
      const dispatches = childrenOf(trace, segment, 'dispatch');
      assert.ok(dispatches.length >= 1);
      for (const dispatch of dispatches) {
        assert.equal(role(dispatch), 'server');
        assert.equal(dispatch.kind, 4, 'producer');
        assert.equal(dispatch.attributes['messaging.destination.name'], 'segments-fake');
      }
      const served = dispatches.find((d) => d.attributes['parascribe.dispatch.outcome'] === 'completed')!;
      assert.ok(served, 'a dispatch completed');
      // Worker side: its segment span is a child of that dispatch span.
      const workerSpans = childrenOf(trace, served, 'worker.segment');
      assert.equal(workerSpans.length, 1, 'one delivery');
      const workerSpan = workerSpans[0]!;
      assert.equal(role(workerSpan), 'worker');
      assert.equal(workerSpan.kind, 5, 'consumer');
      assert.equal(workerSpan.attributes['parascribe.segment.index'], segment.attributes['parascribe.segment.index']);
      assert.ok(workerSpan.startNs >= served.startNs && workerSpan.endNs <= served.endNs, 'the worker served it while the dispatch waited');
      assert.equal(childrenOf(trace, workerSpan, 'download').length, 1);
      const workerAttempts = childrenOf(trace, workerSpan, 'attempt');
      assert.ok(workerAttempts.length >= 1);
      assert.ok(workerAttempts.every((a) => role(a) === 'worker' && a.attributes['parascribe.backend'] === 'fake'));
      assert.equal(workerAttempts.at(-1)!.attributes['parascribe.attempt.outcome'], 'ok');
      attempts.push(...workerAttempts);
    }
    // The fake's scheduled 5xx: one failed attempt, retried on the same backend.
    const failed = attempts.filter((a) => a.attributes['parascribe.attempt.outcome'] === 'error');
    assert.equal(failed.length, 1, JSON.stringify(attempts.map((a) => a.attributes)));
    assert.equal(failed[0]!.statusCode, 2);
    assert.equal(typeof failed[0]!.attributes['parascribe.error.code'], 'string');
    const retried = attempts.filter((a) => a.parentSpanId === failed[0]!.parentSpanId).map((a) => [a.attributes['parascribe.attempt'], a.attributes['parascribe.attempt.outcome']]);
    assert.deepEqual(retried, [[1, 'error'], [2, 'ok']]);
    for (const ok of attempts.filter((a) => a.attributes['parascribe.attempt.outcome'] === 'ok')) assert.equal(typeof ok.attributes['parascribe.cold_start'], 'boolean');
  });
});
