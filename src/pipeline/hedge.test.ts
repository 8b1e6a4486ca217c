import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SegmentAudio } from '../audio/segment-audio.js';
import { ParascribeError } from '../errors.js';
import type { SegmentDispatcher } from '../queue/dispatch.js';
import type { SegmentTranscript } from '../transcript.js';
import { Hedger, type HedgerOptions } from './hedge.js';
import type { SegmentTask } from '../core/types.js';

/**
 * A dispatcher whose answers take a scripted time per (segment, copy); 'fail' rejects after that time.
 * It records which copies were aborted. In-process: timings are tens of ms against seconds of margin.
 */
function scripted(script: Record<string, { ms: number; fail?: boolean }>) {
  const aborted: string[] = [];
  const calls: string[] = [];
  const dispatcher: SegmentDispatcher = {
    servesLocally: true,
    canHedge: true,
    dispatch: (task, _audio, signal) =>
      new Promise<SegmentTranscript>((resolve, reject) => {
        const key = `${task.index}${task.hedge ? 'h' : ''}`;
        calls.push(key);
        const step = script[key] ?? { ms: 5 };
        const timer = setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          if (step.fail) reject(new ParascribeError('BACKEND_FAILED', `${key} failed`));
          else resolve({ text: key, utterances: [], language: 'en' } as unknown as SegmentTranscript);
        }, step.ms);
        const onAbort = () => {
          clearTimeout(timer);
          aborted.push(key);
          reject(new ParascribeError('ABORTED', 'aborted'));
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }),
  };
  return { dispatcher, aborted, calls };
}

const task = (index: number): SegmentTask => ({ jobId: 'j', index, startSec: index * 10, endSec: index * 10 + 10, speechSec: 10, chain: ['remote'], priority: 'normal' });
const audio = (durationSec = 10) => ({ durationSec }) as SegmentAudio;
const options = (extra: Partial<HedgerOptions> = {}): HedgerOptions => ({ threshold: () => 0.05, recordingSec: 100, maxExtraShare: 0.1, ...extra });
const textOf = (t: SegmentTranscript) => (t as unknown as { text: string }).text;

const cases: Array<{
  name: string;
  script: Record<string, { ms: number; fail?: boolean }>;
  options?: Partial<HedgerOptions>;
  text?: string;
  error?: string;
  hedges: Array<'original' | 'hedge' | 'none'>;
  aborted: string[];
}> = [
  { name: 'fast original: no hedge', script: { '0': { ms: 5 } }, text: '0', hedges: [], aborted: [] },
  { name: 'slow original: the hedge wins, the original is cancelled', script: { '0': { ms: 3000 }, '0h': { ms: 5 } }, text: '0h', hedges: ['hedge'], aborted: ['0'] },
  { name: 'original answers after the hedge left: it wins, the hedge is cancelled', script: { '0': { ms: 150 }, '0h': { ms: 3000 } }, text: '0', hedges: ['original'], aborted: ['0h'] },
  { name: 'original fails after the hedge left: the hedge wins', script: { '0': { ms: 150, fail: true }, '0h': { ms: 300 } }, text: '0h', hedges: ['hedge'], aborted: [] },
  { name: 'both fail: the original error', script: { '0': { ms: 150, fail: true }, '0h': { ms: 100, fail: true } }, error: '0 failed', hedges: ['none'], aborted: [] },
  { name: 'no threshold (no model): plain dispatch', script: { '0': { ms: 300 } }, options: { threshold: () => undefined }, text: '0', hedges: [], aborted: [] },
  { name: 'over budget: no hedge', script: { '0': { ms: 300 } }, options: { recordingSec: 50 }, text: '0', hedges: [], aborted: [] },
  { name: 'hedge to another backend chain', script: { '0': { ms: 3000 }, '0h': { ms: 5 } }, options: { chain: ['local'] }, text: '0h', hedges: ['hedge'], aborted: ['0'] },
];

for (const c of cases) {
  test(`hedger: ${c.name}`, async () => {
    const { dispatcher, aborted } = scripted(c.script);
    const hedger = new Hedger(options(c.options));
    const outcome = hedger.dispatch(dispatcher, task(0), audio(), new AbortController().signal);
    if (c.error) await assert.rejects(outcome, (e: Error) => e.message === c.error);
    else assert.equal(textOf(await outcome), c.text);
    await new Promise((r) => setTimeout(r, 20)); // let the loser's abort land
    assert.deepEqual(hedger.records.map((r) => r.winner), c.hedges);
    assert.deepEqual(aborted, c.aborted);
    if (c.options?.chain && hedger.records[0]) assert.deepEqual(hedger.records[0].chain, c.options.chain);
  });
}

test('hedger: the budget caps duplicated audio at a share of the recording', async () => {
  const { dispatcher, calls } = scripted({ '0': { ms: 3000 }, '1': { ms: 3000 }, '0h': { ms: 5 }, '1h': { ms: 5 } });
  // 10 % of 150 s = 15 s: one 10 s hedge fits, the second does not.
  const hedger = new Hedger(options({ recordingSec: 150 }));
  const signal = new AbortController().signal;
  const [a, b] = await Promise.all([hedger.dispatch(dispatcher, task(0), audio(), signal), hedger.dispatch(dispatcher, task(1), audio(), signal)]);
  assert.deepEqual([textOf(a), textOf(b)].sort(), ['0h', '1']);
  assert.equal(hedger.records.length, 1);
  assert.equal(hedger.hedgedAudioSec, 10);
  assert.deepEqual(calls.filter((c) => c.endsWith('h')), ['0h']);
});

test('hedger: the threshold sees the dispatch order (first wave may be cold)', async () => {
  const seen: number[] = [];
  const { dispatcher } = scripted({});
  const hedger = new Hedger(options({ threshold: (_t, ordinal) => (seen.push(ordinal), undefined) }));
  const signal = new AbortController().signal;
  for (const i of [0, 1, 2]) await hedger.dispatch(dispatcher, task(i), audio(), signal);
  assert.deepEqual(seen, [0, 1, 2]);
});

test('hedger: the job signal cancels both copies', async () => {
  const { dispatcher, aborted } = scripted({ '0': { ms: 3000 }, '0h': { ms: 3000 } });
  const hedger = new Hedger(options());
  const controller = new AbortController();
  const outcome = hedger.dispatch(dispatcher, task(0), audio(), controller.signal);
  setTimeout(() => controller.abort(), 200);
  await assert.rejects(outcome, (e: ParascribeError) => e.code === 'ABORTED');
  assert.deepEqual(aborted.sort(), ['0', '0h']);
});
