/**
 * OpenTelemetry traces end to end (issue 16): the built CLI transcribes a real recording with
 * OTEL_EXPORTER_OTLP_ENDPOINT pointing at a fake OTLP/HTTP receiver (test/fakes/otlp-receiver.ts),
 * and the receiver holds one trace: the job span with its stages, the segments under `transcribe`
 * and each segment's attempts. Without the variable nothing is sent.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { FIXTURES, parseJsonLines, runCli, tempDir } from './helpers/cli.js';
import { childrenOf, startOtlpReceiver, type OtlpReceiver } from './fakes/otlp-receiver.js';

describe('traces of an embedded transcription (OTLP/HTTP)', () => {
  let receiver: OtlpReceiver;
  let dataDir: string;
  before(async () => {
    receiver = await startOtlpReceiver();
    dataDir = tempDir('tracing');
  });
  after(async () => {
    await receiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('transcribe with OTEL_EXPORTER_OTLP_ENDPOINT set: one trace, the job span with its stages, segments and attempts', async () => {
    const run = await runCli(['transcribe', join(FIXTURES, 'jfk.wav'), '-o', join(dataDir, 'jfk.txt'), '--segment-sec', '4', '--json', '-q'], {
      PARASCRIBE_DATA_DIR: dataDir,
      PARASCRIBE_CONFIG: '',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    });
    assert.equal(run.code, 0, run.stderr);
    const [summary] = parseJsonLines(run.stdout);
    // Everything was exported before the process exited (runtime.close flushes).
    assert.ok(receiver.requests.length > 0);
    assert.ok(receiver.requests.every((r) => r.path === '/v1/traces' && r.contentType.startsWith('application/json') && r.status === 200), JSON.stringify(receiver.requests));
    const spans = receiver.spans;
    assert.equal(new Set(spans.map((s) => s.traceId)).size, 1, 'one trace for the one job');
    const roots = spans.filter((s) => s.parentSpanId === '');
    assert.deepEqual(roots.map((s) => s.name), ['job']);
    const job = roots[0]!;
    assert.deepEqual([job.resource['service.name'], job.resource['parascribe.role']], ['parascribe', 'cli']);
    assert.equal(job.attributes['parascribe.job.id'], summary!.jobId);
    assert.equal(job.attributes['parascribe.backend'], 'pocketsphinx');
    assert.equal(job.attributes['parascribe.job.status'], 'completed');
    assert.equal(job.attributes['parascribe.segments'], summary!.segments);
    assert.equal(job.attributes['parascribe.audio.duration_sec'], summary!.durationSec);
    assert.equal(job.statusCode, 0);
    // The stages, in order.
    const stages = childrenOf(spans, job).sort((a, b) => Number(a.startNs - b.startNs));
    assert.deepEqual(stages.map((s) => s.name), ['probe', 'hash', 'plan', 'transcribe', 'stitch', 'write']);
    // One after another, up to OTel's span clock: a span starts at Date.now() (whole milliseconds) and
    // ends that plus a performance.now() duration, so a span begun right after another may start up to
    // a millisecond before it ended (@opentelemetry/sdk-trace Span._getTime; failed once in CI).
    const skewNs = 2_000_000n;
    for (const [earlier, later] of stages.slice(1).map((s, i) => [stages[i]!, s] as const)) assert.ok(earlier.endNs <= later.startNs + skewNs, `${earlier.name} ends before ${later.name} starts`);
    for (const span of spans) assert.ok(span.startNs >= job.startNs && span.endNs <= job.endNs && span.startNs <= span.endNs, `${span.name} lies within the job`);
    // Under transcribe: the decode, the backend's look at the recording, and one span per segment.
    const transcribe = stages.find((s) => s.name === 'transcribe')!;
    assert.equal(childrenOf(spans, transcribe, 'decode').length, 1);
    assert.equal(childrenOf(spans, transcribe, 'decode')[0]!.attributes['parascribe.audio.duration_sec'], summary!.durationSec);
    assert.equal(childrenOf(spans, transcribe, 'prepare-recording').length, 1);
    const segments = childrenOf(spans, transcribe, 'segment').sort((a, b) => Number(a.attributes['parascribe.segment.index']) - Number(b.attributes['parascribe.segment.index']));
    assert.ok(Number(summary!.segments) >= 3, `jfk at 4 s segments: ${summary!.segments}`);
    assert.deepEqual(segments.map((s) => s.attributes['parascribe.segment.index']), Array.from({ length: Number(summary!.segments) }, (_, i) => i));
    let coldStarts = 0;
    for (const segment of segments) {
      const attempts = childrenOf(spans, segment, 'attempt');
      assert.equal(attempts.length, 1, 'one attempt per segment (nothing failed)');
      const attempt = attempts[0]!;
      assert.equal(attempt.attributes['parascribe.backend'], 'pocketsphinx');
      assert.equal(attempt.attributes['parascribe.attempt'], 1);
      assert.equal(attempt.attributes['parascribe.attempt.outcome'], 'ok');
      assert.equal(typeof attempt.attributes['parascribe.cold_start'], 'boolean');
      if (attempt.attributes['parascribe.cold_start']) coldStarts++;
      assert.equal(attempt.attributes['parascribe.segment.index'], segment.attributes['parascribe.segment.index']);
    }
    assert.equal(coldStarts, summary!.coldStarts, 'cold starts as the job summary counts them');
  });

  test('off without an endpoint, and with OTEL_SDK_DISABLED; on, a cached job is a trace too', async () => {
    // Same data dir: the cached transcript, a quick job that still runs its stages.
    const again = (env: Record<string, string>) =>
      runCli(['transcribe', join(FIXTURES, 'jfk.wav'), '-o', join(dataDir, 'again.txt'), '--segment-sec', '4', '-q'], { PARASCRIBE_DATA_DIR: dataDir, PARASCRIBE_CONFIG: '', ...env });
    const before = receiver.requests.length;
    const unset = await again({ OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' });
    assert.equal(unset.code, 0, unset.stderr);
    const disabled = await again({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SDK_DISABLED: 'true' });
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.equal(receiver.requests.length, before, 'no request reached the receiver');
    // The same quick job with tracing on does send its trace (so the silence above is tracing being off).
    const spansBefore = receiver.spans.length;
    const on = await again({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    assert.equal(on.code, 0, on.stderr);
    const spans = receiver.spans.slice(spansBefore);
    const job = spans.find((s) => s.name === 'job')!;
    assert.equal(job.attributes['parascribe.cache_hit'], true);
    assert.deepEqual(childrenOf(spans, job).map((s) => s.name).sort(), ['hash', 'probe', 'write']);
  });
});
