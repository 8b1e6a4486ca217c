import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateHedgedJob, type HedgedJobInput } from './hedge-sim.js';

// Two servers; every segment 10 s of service of which 2 s compute, 100 s of audio.
const base = (n: number): HedgedJobInput => ({
  servers: 2,
  concurrency: 64,
  serviceSec: Array(n).fill(10),
  computeSec: Array(n).fill(2),
  audioSec: Array(n).fill(100),
  bootSec: [0, 0],
  hedgeAfterSec: Array(n).fill(undefined),
  hedgeBudgetAudioSec: 0,
});

test('simulateHedgedJob: table of cases', () => {
  const cases: Array<{ name: string; input: HedgedJobInput; completions: number[]; hedges: number; won: number; extraSec: number }> = [
    { name: 'warm, no hedging: list scheduling', input: base(3), completions: [10, 10, 20], hedges: 0, won: 0, extraSec: 0 },
    { name: 'cold boots add to the first wave', input: { ...base(3), bootSec: [5, 30] }, completions: [15, 40, 25], hedges: 0, won: 0, extraSec: 0 },
    {
      // Segment 1 boots for 60 s. Its hedge at 12 s queues; server 0 frees at 10 s and takes segment 2,
      // then the hedge at 20 s: the hedge wins at 30 s and the boot is abandoned (no compute spent).
      name: 'a hedge takes over from a slow boot',
      input: { ...base(3), bootSec: [0, 60], hedgeAfterSec: [12, 12, undefined], hedgeBudgetAudioSec: 100 },
      completions: [10, 30, 20],
      hedges: 1,
      won: 1,
      extraSec: 0,
    },
    {
      // Segment 2's hedge fires first (1 s) and takes the whole budget; it is dropped from the queue
      // when segment 2 finishes, and segment 1's hedge at 12 s is refused: segment 1 waits out its boot.
      name: 'the budget goes to the hedges that fire first',
      input: { ...base(3), bootSec: [0, 60], hedgeAfterSec: [12, 12, 1], hedgeBudgetAudioSec: 100 },
      completions: [10, 70, 20],
      hedges: 1,
      won: 0,
      extraSec: 0,
    },
    {
      // Segment 0 runs 0–10 (compute 8–10); its hedge starts at 1 s on server 1 with compute 9–11: the
      // original wins at 10 s, and the hedge had spent 1 s of compute.
      name: 'a loser cancelled while computing counts its compute as extra',
      input: { ...base(1), hedgeAfterSec: [1], hedgeBudgetAudioSec: 100 },
      completions: [10],
      hedges: 1,
      won: 0,
      extraSec: 1,
    },
    {
      name: 'concurrency 1 dispatches one at a time',
      input: { ...base(3), concurrency: 1 },
      completions: [10, 20, 30],
      hedges: 0,
      won: 0,
      extraSec: 0,
    },
    {
      name: 'a later request that finds a cold server anyway',
      input: { ...base(3), laterColdSec: [0, 0, 7] },
      completions: [10, 10, 27],
      hedges: 0,
      won: 0,
      extraSec: 0,
    },
  ];
  for (const c of cases) {
    const r = simulateHedgedJob(c.input);
    assert.deepEqual(r.completionsSec, c.completions, c.name);
    assert.deepEqual([r.hedges, r.hedgesWon], [c.hedges, c.won], c.name);
    assert.ok(Math.abs(r.extraComputeSec - c.extraSec) < 1e-9, `${c.name}: extra ${r.extraComputeSec}`);
  }
});

test('a cancelled boot hands its server on when the boot ends', () => {
  // One server booting 20 s for segment 0; hedge of 0 at 1 s queues behind segment 1 (FIFO). The
  // server is only free at 20 s: segment 0 finishes at 30, then segment 1 at 40 and the hedge is dropped.
  const r = simulateHedgedJob({ ...base(2), servers: 1, bootSec: [20], hedgeAfterSec: [1, undefined], hedgeBudgetAudioSec: 100 });
  assert.deepEqual(r.completionsSec, [30, 40]);
  assert.deepEqual([r.hedges, r.hedgesWon, r.extraComputeSec], [1, 0, 0]);
});
