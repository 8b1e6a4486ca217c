/** Checks subtitle cues against their limits (src/outputs/cues.ts), for unit and end-to-end tests. */
import assert from 'node:assert/strict';
import type { Cue, CueLimits } from '../../src/outputs/cues.js';

/**
 * Every cue within the limits, except where they cannot hold: a cue of one word (a word longer than a
 * line, or held longer than maxCueSec), and reading speed where the cue is already held until the
 * next cue starts or for maxCueSec.
 */
export function assertWithinLimits(cues: readonly Cue[], limits: CueLimits, label: string): void {
  cues.forEach((cue, i) => {
    const text = cue.lines.join(' ');
    const oneWord = !/ /.test(text.replace(/^\[[^\]]+\] /, ''));
    const durationSec = cue.endSec - cue.startSec;
    const where = `${label}: cue ${i} ${JSON.stringify(cue)}`;
    if (!oneWord) {
      assert.ok(durationSec <= limits.maxCueSec + 1e-9, `${where}: ${durationSec} s`);
      assert.ok(cue.lines.length <= limits.maxLines, `${where}: ${cue.lines.length} lines`);
      assert.ok(cue.lines.every((l) => l.length <= limits.maxLineChars), `${where}: line too long`);
    }
    const next = cues[i + 1]?.startSec ?? Infinity;
    const heldAllItCould = cue.endSec >= Math.min(next, cue.startSec + limits.maxCueSec) - 1e-9;
    if (durationSec > 0 && text.length / durationSec > limits.maxCps + 1e-9) assert.ok(heldAllItCould || oneWord, `${where}: ${(text.length / durationSec).toFixed(1)} cps`);
  });
}
