/**
 * The seams check of `parascribe eval`: are words doubled or dropped where the recording was cut?
 * The segmented transcript is compared with the same backend's transcript of the whole file in one
 * segment (no cuts), around each cut point only: the words within `windowSec` of the cut (plus a
 * margin, so that a word timed a little differently by the two runs is still on both sides) are
 * aligned, and the differences within `windowSec` counted: words only the segmented run has
 * (inserted; `doubled` when the same word stands next to it), words it lacks (dropped) and
 * substitutions. The same comparison over the whole file gives the base rate: differences near cuts
 * well above it point at the cutting and stitching, not at the backend.
 */
import { normaliseForWer, wordErrorRate } from '../../eval/wer.js';
import type { PlannedSegment } from '../../core/types.js';
import type { Transcript } from '../../transcript.js';

export interface TimedToken {
  word: string;
  /** The centre of the word it came from, seconds into the recording. */
  sec: number;
}

export interface SeamProblem {
  atSec: number;
  inserted: string[];
  dropped: string[];
}

export interface SeamReport {
  cuts: number;
  windowSec: number;
  /** The whole-file run compared against. */
  wholeJobId: string;
  /** Words of the whole-file transcript within windowSec of a cut. */
  wordsNearCuts: number;
  inserted: number;
  /** Inserted words equal to a neighbour: the signature of a stitch that kept an overlap twice. */
  doubled: number;
  dropped: number;
  substituted: number;
  /** (inserted + dropped + substituted) / wordsNearCuts; null without words near cuts. */
  nearCutDiffRate: number | null;
  /** The same difference over the whole file (word errors of segmented against whole / whole's words). */
  overallDiffRate: number | null;
  /** Cuts with inserted or dropped words (at most 20). */
  problems: SeamProblem[];
}

export const DEFAULT_SEAM_WINDOW_SEC = 3;
const MARGIN_SEC = 2;
const MAX_PROBLEMS = 20;

/** Normalised tokens with times: from the words, or spread evenly over utterances without word times. */
export function timedTokens(transcript: Pick<Transcript, 'words' | 'utterances'>): TimedToken[] {
  if (transcript.words.length > 0) {
    return transcript.words.flatMap((w) => normaliseForWer(w.word).map((word) => ({ word, sec: (w.startSec + w.endSec) / 2 })));
  }
  return transcript.utterances.flatMap((u) => {
    const words = normaliseForWer(u.text);
    const step = (u.endSec - u.startSec) / Math.max(1, words.length);
    return words.map((word, i) => ({ word, sec: u.startSec + step * (i + 0.5) }));
  });
}

/** Cut points: where one planned segment hands over to the next (the middle of an overlap). */
export function cutPoints(plan: readonly Pick<PlannedSegment, 'startSec' | 'endSec'>[]): number[] {
  return plan.slice(1).map((segment, i) => (plan[i]!.endSec + segment.startSec) / 2);
}

export function checkSeams(
  segmented: Pick<Transcript, 'words' | 'utterances'>,
  plan: readonly Pick<PlannedSegment, 'startSec' | 'endSec'>[],
  whole: Pick<Transcript, 'words' | 'utterances'>,
  wholeJobId: string,
  windowSec = DEFAULT_SEAM_WINDOW_SEC,
): SeamReport {
  const s = timedTokens(segmented);
  const w = timedTokens(whole);
  const cuts = cutPoints(plan);
  const report: SeamReport = { cuts: cuts.length, windowSec, wholeJobId, wordsNearCuts: 0, inserted: 0, doubled: 0, dropped: 0, substituted: 0, nearCutDiffRate: null, overallDiffRate: null, problems: [] };
  for (const cut of cuts) {
    const near = (t: TimedToken) => Math.abs(t.sec - cut) <= windowSec + MARGIN_SEC;
    const sWin = s.filter(near);
    const wWin = w.filter(near);
    const { alignment } = wordErrorRate(wWin.map((t) => t.word).join(' '), sWin.map((t) => t.word).join(' '));
    const problem: SeamProblem = { atSec: cut, inserted: [], dropped: [] };
    let refIndex = 0;
    for (const op of alignment) {
      const fromRef = op.op !== 'ins' ? wWin[refIndex++]! : undefined;
      const time = op.op === 'del' ? fromRef!.sec : sWin[op.hypIndex!]!.sec;
      if (Math.abs(time - cut) > windowSec) continue;
      if (op.op !== 'ins') report.wordsNearCuts++;
      if (op.op === 'sub') report.substituted++;
      else if (op.op === 'del') {
        report.dropped++;
        problem.dropped.push(op.ref!);
      } else if (op.op === 'ins') {
        report.inserted++;
        problem.inserted.push(op.hyp!);
        const i = op.hypIndex!;
        if (sWin[i - 1]?.word === op.hyp || sWin[i + 1]?.word === op.hyp) report.doubled++;
      }
    }
    if ((problem.inserted.length > 0 || problem.dropped.length > 0) && report.problems.length < MAX_PROBLEMS) report.problems.push(problem);
  }
  const errors = report.inserted + report.dropped + report.substituted;
  report.nearCutDiffRate = report.wordsNearCuts > 0 ? errors / report.wordsNearCuts : null;
  if (w.length > 0) {
    const overall = wordErrorRate(w.map((t) => t.word).join(' '), s.map((t) => t.word).join(' '), { alignment: false });
    report.overallDiffRate = (overall.substitutions + overall.deletions + overall.insertions) / w.length;
  }
  return report;
}
