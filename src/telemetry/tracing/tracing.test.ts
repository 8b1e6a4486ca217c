import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { trace } from '@opentelemetry/api';
import { ParascribeError } from '../../errors.js';
import type { SegmentTask } from '../../core/types.js';
import { startOtlpReceiver, type OtlpReceiver } from '../../../test/fakes/otlp-receiver.js';
import { startTracing, tracingEndpoint } from './provider.js';
import { inDispatchSpan, inWorkerSpan, traceCarrier, withTraceContext } from './queue.js';
import { attemptSpan, inSpan } from './spans.js';

const task: SegmentTask = { jobId: 'j1', index: 2, startSec: 8, endSec: 12, speechSec: 3, chain: ['pocketsphinx'], priority: 'normal' };

describe('tracingEndpoint: on only with an OTLP endpoint', () => {
  test('no endpoint: off', () => assert.equal(tracingEndpoint({}), undefined));
  test('OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/traces', () => {
    assert.equal(tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }), 'http://collector:4318/v1/traces');
  });
  test('the traces endpoint is used as it is, and wins', () => {
    assert.equal(tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/custom' }), 'http://b:4318/custom');
  });
  test('OTEL_SDK_DISABLED and OTEL_TRACES_EXPORTER=none turn it off', () => {
    assert.equal(tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_SDK_DISABLED: 'true' }), undefined);
    assert.equal(tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_TRACES_EXPORTER: 'none' }), undefined);
  });
});

describe('spans and queue propagation, in one process', () => {
  let receiver: OtlpReceiver;
  before(async () => (receiver = await startOtlpReceiver()));
  after(async () => receiver?.close());

  test('off: spans are no-ops and a task carries no trace context', async () => {
    const tracing = startTracing({ role: 'cli', env: {} });
    assert.equal(tracing.enabled, false);
    await inSpan('job', {}, async () => {
      assert.equal(trace.getActiveSpan()?.isRecording() ?? false, false);
      assert.equal(traceCarrier(), undefined);
      assert.equal(withTraceContext(task), task);
    });
    await tracing.release();
    assert.equal(receiver.requests.length, 0);
  });

  test('on: a dispatch span’s context travels on the task; the worker span is its child; release flushes', async () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    const tracing = startTracing({ role: 'server', env });
    const second = startTracing({ role: 'server', env }); // another Runtime of the process: the same provider
    assert.ok(tracing.enabled && second.enabled);
    let carried: SegmentTask | undefined;
    await inSpan('job', {}, () =>
      inDispatchSpan(task, { queue: 'segments-pocketsphinx', taskId: 'j1:2:1', dispatch: 1 }, async () => {
        carried = withTraceContext(task);
        return { kind: 'completed' };
      }),
    );
    assert.match(carried?.trace?.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    // The worker's side: outside any span, from the task alone.
    const failure = new ParascribeError('BACKEND_FAILED', 'no backend could serve it');
    await assert.rejects(
      inWorkerSpan(carried!, { worker: 'w1', queue: 'segments-pocketsphinx', taskId: 'j1:2:1', enqueuedAtMs: Date.now() - 50, dispatch: 1, delivery: 1 }, async () => {
        attemptSpan(2, { backend: 'pocketsphinx', attempt: 1, startedAtSec: Date.now() / 1000 - 1, endedAtSec: Date.now() / 1000, outcome: 'ok' }, true);
        throw failure;
      }),
      failure,
    );
    await second.release();
    assert.equal(receiver.requests.length, 0, 'nothing is flushed while another holder remains');
    await tracing.release();
    await tracing.release(); // twice: harmless
    const spans = receiver.spans;
    const byName = (name: string) => spans.find((s) => s.name === name)!;
    const [job, dispatch, worker, attempt] = ['job', 'dispatch', 'worker.segment', 'attempt'].map(byName);
    assert.ok(job && dispatch && worker && attempt, spans.map((s) => s.name).join());
    assert.equal(new Set(spans.map((s) => s.traceId)).size, 1, 'one trace');
    assert.equal(dispatch!.parentSpanId, job!.spanId);
    assert.equal(dispatch!.kind, 4, 'producer');
    assert.equal(dispatch!.attributes['parascribe.dispatch.outcome'], 'completed');
    assert.equal(worker!.parentSpanId, dispatch!.spanId, 'the worker span continues the dispatch span');
    assert.equal(worker!.kind, 5, 'consumer');
    assert.equal(worker!.statusCode, 2);
    assert.equal(worker!.attributes['parascribe.error.code'], 'BACKEND_FAILED');
    assert.ok(Number(worker!.attributes['parascribe.queue_wait_ms']) >= 50);
    assert.equal(attempt!.parentSpanId, worker!.spanId);
    assert.deepEqual([attempt!.attributes['parascribe.backend'], attempt!.attributes['parascribe.cold_start'], attempt!.attributes['parascribe.attempt.outcome']], ['pocketsphinx', true, 'ok']);
    assert.ok(attempt!.endNs - attempt!.startNs > 900_000_000n, 'the attempt span keeps the attempt’s own times');
    assert.deepEqual(job!.resource, { 'service.name': 'parascribe', 'parascribe.role': 'server', 'process.pid': process.pid });
  });

  test('after the last release a new provider starts (a later Runtime in the same process)', async () => {
    const before = receiver.spans.length;
    const tracing = startTracing({ role: 'worker', env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'asr-workers' } });
    assert.ok(tracing.enabled);
    await inSpan('probe', {}, async () => {});
    await tracing.release();
    const added = receiver.spans.slice(before);
    assert.deepEqual(added.map((s) => [s.name, s.resource['service.name'], s.resource['parascribe.role']]), [['probe', 'asr-workers', 'worker']]);
  });
});
