/**
 * What the seed-study benchmarks (seed-table.ts, seed-latency.ts) share: the fitted simulated
 * endpoint's parameters (bench/seed-fit.md), the real text of one period of the long file, and what
 * the endpoint saw of one job (its request log, cancelled requests included).
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { wavHeader } from '../src/audio/segment-audio.js';
import { transcribeFile, type FakeTranscript } from '../test/fakes/fake-transcribe.js';
import type { FakeLogEntry } from '../test/fakes/openai-server.js';
import { decodeToSamples } from '../test/fakes/periodic-text.js';
import type { ServerlessOptions, SimReport } from '../test/fakes/serverless-sim.js';
import { REPO_ROOT, WORK_DIR, die, fmt, readText } from './lib.js';

/** The table fit (bench/seed-fit.md): fixed before any of parascribe's own choices are measured. */
export const SEED_SIM: ServerlessOptions = {
  maxContainers: 4,
  coldStart: { kind: 'lognormal', medianSec: 15, sigma: 0.8 },
  rttSec: 17,
  uploadBytesPerSec: (40 * 1e6) / 8,
  rtf: 0.006,
  idleTimeoutSec: 60,
  seed: 1,
};

/** One period of the long file and its real transcription (pocketsphinx, cached in bench/work). */
export async function periodText(audio: string): Promise<{ period: Int16Array; transcript: FakeTranscript; note: string }> {
  const fixtures = process.env.FIXTURES_DIR ?? path.resolve(REPO_ROOT, '..', 'shared', 'fixtures');
  const one = await decodeToSamples(readFileSync(path.join(fixtures, 'gpl-preamble.mp3')), 'gpl-preamble.mp3', AbortSignal.timeout(120_000));
  const fd = openSync(audio, 'r');
  const head = Buffer.alloc(44 + one.length * 4);
  const read = readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  const period = new Int16Array(head.buffer.slice(44, 44 + one.length * 2));
  const next = new Int16Array(head.buffer.slice(44 + one.length * 2, read));
  if (!next.every((x, i) => x === period[i])) die(`${audio} does not repeat its first ${one.length} samples: not built by make-long-audio.sh?`);
  const pcm = Buffer.from(period.buffer);
  const key = createHash('sha256').update(pcm).digest('hex');
  const cacheFile = path.join(WORK_DIR, 'seed-period-transcript.json');
  if (existsSync(cacheFile)) {
    const cached = JSON.parse(readText(cacheFile)) as { key: string; transcript: FakeTranscript };
    if (cached.key === key) return { period, transcript: cached.transcript, note: `loaded from ${path.relative(REPO_ROOT, cacheFile)}` };
  }
  const started = performance.now();
  const transcript = await transcribeFile(new Uint8Array(Buffer.concat([wavHeader(pcm.length), pcm])), 'period.wav', AbortSignal.timeout(600_000));
  writeFileSync(cacheFile, JSON.stringify({ key, transcript }));
  return { period, transcript, note: `transcribed now in ${fmt((performance.now() - started) / 1000, 1)} s` };
}

/** What the endpoint saw of one job: its transcription requests, answered or cancelled. */
export interface EndpointView {
  answered: SimReport[];
  cancelled: SimReport[];
  /** Warm-up requests (a second of audio or less). */
  warmups: SimReport[];
  coldStarts: number;
  /** Compute spent on every request, cancelled ones included (GPU seconds). */
  computeSec: number;
  /** First request to last answer at the endpoint. */
  spanSec: number;
}

export function endpointView(log: readonly FakeLogEntry[]): EndpointView {
  const sims = log.flatMap((e) => (e.sim && (e.outcome === 'ok' || e.outcome === 'cancelled') ? [{ ...e.sim, cancelled: e.outcome === 'cancelled' }] : []));
  const warmups = sims.filter((s) => !s.cancelled && s.audioSec > 0 && s.audioSec <= 1.01);
  const work = sims.filter((s) => !warmups.includes(s));
  const starts = sims.map((s) => s.arrivedAtSec);
  const ends = sims.map((s) => s.finishedAtSec);
  return {
    answered: work.filter((s) => !s.cancelled),
    cancelled: work.filter((s) => s.cancelled),
    warmups,
    coldStarts: sims.filter((s) => s.cold).length,
    computeSec: sims.reduce((sum, s) => sum + s.computeSec, 0),
    spanSec: sims.length === 0 ? 0 : Math.max(...ends) - Math.min(...starts),
  };
}

/** One job of bench/seed-latency.ts, as its JSON results keep it (plot-latency.ts reads them). */
export interface LatencyRun {
  mode: string;
  segmentSec: string;
  wallSec: number;
  /** Spawn to the first partial transcript (segment 0 stored). */
  firstWordsSec: number;
  segments: number;
  lengthsSec: number[];
  backends: string[];
  hedges: number;
  hedgesWon: number;
  endpoint: EndpointView;
  /** Compute at the endpoint beyond one copy of each segment it served, as a share of that. */
  extraComputeShare: number;
}
