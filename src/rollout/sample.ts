/**
 * Which segments are shadowed or sent to a canary: a draw in [0, 1) fixed by (salt, job, segment), so
 * that a segment always draws the same (a retried or resumed segment, a test run twice) and different
 * salts (shadow, each canary rollout) draw independently. A share s selects the draws below s: about
 * s of all segments, and raising s only adds segments to those already selected.
 */
import { createHash } from 'node:crypto';

export function segmentDraw(salt: string, jobId: string, index: number): number {
  const digest = createHash('sha256').update(`${salt}\u0000${jobId}\u0000${index}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

export function isSampled(salt: string, jobId: string, index: number, share: number): boolean {
  return share > 0 && segmentDraw(salt, jobId, index) < share;
}
