/**
 * Jobs seeded straight into a store for `ask` tests: no audio, no backend. Each segment is
 * `segmentSec` long and holds one utterance every 20 s (17 s of speech, 3 s pause), so every
 * utterance is its own `md` paragraph, marked [hh:mm:ss] at its start: 00:00:00, 00:00:20, …
 */
import type { JobStatus } from '../../src/store/schema.js';
import type { JobStore } from '../../src/store/jobs.js';
import type { PlannedSegment } from '../../src/core/types.js';

export interface SeedOptions {
  id: string;
  segments: number;
  segmentSec?: number;
  owner?: string | null;
  status?: JobStatus;
  /** Indices of finished segments (default: all). */
  finished?: number[];
  /** The text of utterance u of segment s (absolute start `sec`). */
  text?: (s: number, u: number, sec: number) => string;
  /** Characters per utterance, padded with filler words (default: as the text comes). */
  padTo?: number;
}

export const UTTERANCE_EVERY_SEC = 20;

export const defaultText = (s: number, u: number, sec: number): string => `segment ${s} remark ${u} at second ${sec}`;

const FILLER = 'and then the discussion went on about routine matters of the day without any decision';

export function utteranceText(options: SeedOptions, s: number, u: number, sec: number): string {
  let text = (options.text ?? defaultText)(s, u, sec);
  while (options.padTo && text.length < options.padTo) text += ` ${FILLER}`;
  return options.padTo ? text.slice(0, options.padTo) : text;
}

/** Completes segment `s` of a seeded job (its result relative to the segment start, as backends give it). */
export async function finishSegment(store: JobStore, options: SeedOptions, s: number): Promise<void> {
  const segmentSec = options.segmentSec ?? 60;
  const utterances = [];
  for (let at = 0; at + 17 <= segmentSec; at += UTTERANCE_EVERY_SEC) {
    const u = at / UTTERANCE_EVERY_SEC;
    utterances.push({ startSec: at, endSec: at + 17, text: utteranceText(options, s, u, s * segmentSec + at), words: [] });
  }
  const resultJson = JSON.stringify({ text: utterances.map((u) => u.text).join(' '), language: 'en', utterances });
  await store.completeSegment(options.id, s, { resultJson, computeSec: 1, coldStart: false, warningsJson: '[]', backend: 'pocketsphinx', costUsd: 0 });
}

export async function seedJob(store: JobStore, options: SeedOptions): Promise<void> {
  const segmentSec = options.segmentSec ?? 60;
  const status = options.status ?? 'completed';
  await store.createJob({ id: options.id, source: `/audio/${options.id}.mp3`, segmentSec, backend: 'pocketsphinx', format: 'txt', language: 'en', priority: 'normal', options: {}, owner: options.owner ?? null });
  await store.updateJob(options.id, { status, duration_sec: options.segments * segmentSec, chunk_count: options.segments });
  const plan = Array.from({ length: options.segments }, (_, index) => ({ index, startSec: index * segmentSec, endSec: (index + 1) * segmentSec, cutAfter: 'pause' })) as unknown as PlannedSegment[];
  await store.insertSegments(options.id, plan);
  for (const s of options.finished ?? plan.map((p) => p.index)) await finishSegment(store, options, s);
}
