/**
 * The hand-written SVG of the benchmark plots (bench/svg.ts, bench/plot.ts): escaping, ticks, attribute
 * names, and that the pictures come out as well-formed XML from small inputs (the timeline with hedges,
 * cancellations and a request that never got a container; the wall plot with an extra series).
 * Pure functions; no files, no processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modelCurve, parseExtra, parseTimelineJson, splitLengths, stepCounts, timelineSvg, wallVsSegmentSvg } from '../bench/plot.js';
import type { SeedTableJson } from '../bench/seed-table.js';
import { attrs, esc, legendSize, linearScale, logScale, niceDomain, niceTicks, SvgDoc, text, wrapText } from '../bench/svg.js';

/** Every tag closes, in order (a small stand-in for an XML parser), and no raw '&' or '<' sits in text. */
function assertWellFormed(svg: string): void {
  const stack: string[] = [];
  const body = svg.replace(/^<\?xml[^>]*\?>/, '');
  for (const m of body.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:[^>"]|"[^"]*")*?)(\/?)>/g)) {
    const [, close, name, , selfClose] = m;
    if (selfClose) continue;
    if (close) assert.equal(stack.pop(), name, `</${name}> closes the wrong tag`);
    else stack.push(name!);
  }
  assert.deepEqual(stack, [], 'unclosed tags');
  const textOnly = body.replace(/<(?:[^>"]|"[^"]*")*>/g, '');
  assert.doesNotMatch(textOnly, /[<>]|&(?!amp;|lt;|gt;|quot;|#39;)/, 'unescaped text');
}

test('esc, attrs and text escape markup and keep SVG camelCase attributes', () => {
  assert.equal(esc(`a<b & "c" 'd'>`), 'a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;');
  assert.equal(attrs({ strokeWidth: 1.234, viewBox: '0 0 1 1', patternUnits: 'userSpaceOnUse', fill: undefined, title: 'x"y' }), ' stroke-width="1.23" viewBox="0 0 1 1" patternUnits="userSpaceOnUse" title="x&quot;y"');
  assert.match(text(1, 2, '<&>'), />&lt;&amp;&gt;<\/text>$/);
  const doc = new SvgDoc(10, 10, 'a & b').add(text(0, 0, '5 < 6'));
  assertWellFormed(doc.toString());
  assert.match(doc.toString(), /viewBox="0 0 10 10"/);
});

test('niceTicks and niceDomain give round steps covering the range', () => {
  assert.deepEqual(niceTicks(0, 137, 6), [0, 25, 50, 75, 100, 125]);
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceDomain(3, 137, 6), [0, 150]);
  const y = linearScale([0, 100], [500, 100]);
  assert.equal(y(0), 500);
  assert.equal(y(50), 300);
  const x = logScale([100, 1000], [0, 300]);
  assert.equal(Math.round(x(316.2278)), 150);
  assert.deepEqual(x.ticks(), [100, 200, 500, 1000]);
});

test('wrapText and legendSize lay text out within a width', () => {
  const lines = wrapText('one two three four five six seven eight nine ten', 80, 12);
  assert.ok(lines.length > 1);
  assert.equal(lines.join(' '), 'one two three four five six seven eight nine ten');
  const items = [{ label: 'alpha', kind: 'line' as const, color: '#000' }, { label: 'beta gamma', kind: 'box' as const, color: '#f00' }];
  assert.ok(legendSize(items, { horizontal: true, maxWidth: 60 }).height > legendSize(items, { horizontal: true }).height);
});

test('stepCounts counts overlapping intervals without spikes at hand-overs', () => {
  assert.deepEqual(stepCounts([[0, 10], [10.0000001, 20], [5, 15]]), [[0, 1], [5, 2], [10, 2], [15, 1], [20, 0]]);
});

test('the timeline draws lanes, hedges, cancellations and a request without a container', () => {
  const request = { cold: false, coldStartSec: 0, queueWaitSec: 0, overheadSec: 2, computeSec: 1, audioSec: 60, lateSec: 0 };
  const input = parseTimelineJson(
    {
      title: 'job <1> & co',
      requests: [
        { ...request, container: 2, cold: true, coldStartSec: 3, arrivedAtSec: 10, finishedAtSec: 16, segmentIndex: 0 },
        { ...request, container: 1, cold: true, coldStartSec: 1, arrivedAtSec: 10, finishedAtSec: 14, segmentIndex: 1 },
        { ...request, container: 1, queueWaitSec: 4, arrivedAtSec: 10, finishedAtSec: 15, segmentIndex: 2, cancelled: true },
        { ...request, container: 3, cold: true, coldStartSec: 1, arrivedAtSec: 12, finishedAtSec: 16, segmentIndex: 0, hedge: true },
        { ...request, container: 0, queueWaitSec: 2, arrivedAtSec: 10, finishedAtSec: 12, cancelled: true },
      ],
    },
    'fallback',
  );
  assert.equal(input.title, 'job <1> & co');
  const svg = timelineSvg(input);
  assertWellFormed(svg);
  for (const needle of ['job &lt;1&gt; &amp; co', 'container 1', 'container 3', 'no container', 'url(#cancelled)', '#0 60 s H', 'Requests over time']) assert.ok(svg.includes(needle), needle);
  assert.throws(() => parseTimelineJson({ requests: [{ container: 1 }] }, 'x'), /arrivedAtSec/);
});

test('the wall plot takes the seed-table JSON and an extra series', () => {
  assert.equal(splitLengths(3726, 300, 'planner').length, 13);
  assert.equal(splitLengths(3726, 300, 'even').length, 12);
  const params = { k: 4, coldStart: { kind: 'fixed' as const, sec: 10 }, rttSec: 17, uploadBytesPerSec: 5e6, rtf: 0.006 };
  const curve = modelCurve({ durationSec: 600, params, clientSec: 3, minSec: 120, maxSec: 600, stepSec: 60, split: 'planner', draws: 5 });
  assert.equal(curve.length, 9);
  assert.ok(curve.every((c) => c.p10 <= c.median && c.median <= c.p90));
  const sim = { maxContainers: 4, coldStart: params.coldStart, rttSec: 17, uploadBytesPerSec: 5e6, rtf: 0.006, idleTimeoutSec: 60, seed: 1 };
  const requests = [{ container: 1, cold: true, coldStartSec: 10, queueWaitSec: 0, overheadSec: 17, computeSec: 1, audioSec: 300, lateSec: 0, arrivedAtSec: 1, finishedAtSec: 29 }];
  const run = { run: 1, wallSec: 33, jobWallSec: 32, segments: 2, coldStarts: 2, computeSec: 2, k: 0.1, wer: 0.16, clientSec: 3, maxBusy: 2, uploadBytes: 1, failures: 0, endpointSec: 30, requests };
  const data: SeedTableJson = {
    format: 'parascribe-seed-table/1',
    createdAt: '2026-01-01T00:00:00.000Z',
    complete: true,
    quick: true,
    command: 'x',
    machine: 'y',
    audio: { file: 'bench/work/long-620.wav', durationSec: 600 },
    sim,
    params,
    concurrency: 64,
    runsPerSize: 1,
    sizes: [{ segmentSec: 300, study: { segments: 13, wallSec: 95 }, runs: [run] }],
  };
  const extra = parseExtra({ label: 'auto <x>', points: [{ label: 'auto', wallSec: [40, 44] }, { segmentSec: 600, wallSec: 50 }] }, undefined, 'file');
  assert.equal(extra.label, 'auto <x>');
  assert.deepEqual(extra.points[1], { segmentSec: 600, wallSec: [50] });
  assert.equal(parseExtra([{ segmentSec: 200, wallSec: [1] }], 'mine', 'file').label, 'mine');
  assert.throws(() => parseExtra({ points: [{ wallSec: ['x'] }] }, undefined, 'f'), /wallSec/);
  const svg = wallVsSegmentSvg(data, [extra], { minSec: 120, maxSec: 600, stepSec: 60, split: 'planner', draws: 5 });
  assertWellFormed(svg);
  for (const needle of ['seed study', 'model: p10–p90', 'auto &lt;x&gt;', 'auto: 42.0 s', 'QUICK']) assert.ok(svg.includes(needle), needle);
});
