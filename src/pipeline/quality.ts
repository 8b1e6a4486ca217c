/**
 * Quality guard: a result that looks failed is retried on the next backend. Signals from the backend
 * (whisper's compression_ratio, avg_logprob, no_speech_prob) and from our own pause map.
 */
import type { SegmentTranscript } from '../transcript.js';
import { DEFAULT_QUALITY, type QualityThresholds } from '../config/failure.js';
import type { Pause } from '../core/types.js';

export { DEFAULT_QUALITY, type QualityThresholds };

/** Seconds of [startSec, endSec] not covered by a pause. */
export function speechSecIn(pauses: readonly Pause[], startSec: number, endSec: number): number {
  let pauseSec = 0;
  for (const p of pauses) pauseSec += Math.max(0, Math.min(endSec, p.endSec) - Math.max(startSec, p.startSec));
  return Math.max(0, endSec - startSec - pauseSec);
}

/** Returns why the result looks failed, or null if it looks fine. */
export function suspiciousReason(transcript: SegmentTranscript, speechSec: number, thresholds: QualityThresholds = DEFAULT_QUALITY): string | null {
  for (const u of transcript.utterances) {
    const ratio = u.signals?.compression_ratio;
    if (ratio !== undefined && ratio > thresholds.maxCompressionRatio) {
      return `compression ratio ${ratio.toFixed(2)} > ${thresholds.maxCompressionRatio} (repeated text)`;
    }
    const logprob = u.signals?.avg_logprob;
    const noSpeech = u.signals?.no_speech_prob ?? 0;
    if (logprob !== undefined && logprob < thresholds.minAvgLogprob && noSpeech < 0.6) {
      return `avg log-probability ${logprob.toFixed(2)} < ${thresholds.minAvgLogprob}`;
    }
  }
  if (transcript.text.trim() === '' && speechSec >= thresholds.minSpeechSecForEmpty) {
    return `empty transcript for a segment with ${speechSec.toFixed(1)} s of sound`;
  }
  return null;
}
