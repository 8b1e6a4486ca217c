/** A progress bar on stderr, drawn only on a terminal; elsewhere the CLI stays quiet until the summary. */
import type { JobEvents, JobStage } from '../pipeline/events.js';

export function createProgress(stream: NodeJS.WriteStream, label: string, enabled: boolean): JobEvents & { stop(): void } {
  const active = enabled && stream.isTTY === true;
  let stage: JobStage | 'starting' = 'starting';
  let fraction = 0;
  let detail = '';
  let lastDrawMs = 0;
  const startedMs = Date.now();

  const draw = (force = false) => {
    if (!active) return;
    const now = Date.now();
    if (!force && now - lastDrawMs < 100) return;
    lastDrawMs = now;
    const width = 24;
    const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
    const elapsed = ((now - startedMs) / 1000).toFixed(0);
    const line = `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}% ${elapsed}s ${stage} ${detail}`;
    stream.write(`\r\x1b[2K${line.slice(0, (stream.columns ?? 100) - 1)}`);
  };

  // A fresh job transcribes while it still decodes: while decoding, the bar follows the decode and
  // the detail shows both; once the plan is whole it follows the segments.
  let decoded = '';
  let segments = '';
  let segmentFraction = 0;
  const describe = () => [decoded, segments].filter(Boolean).join(', ');

  return {
    onStage(next) {
      stage = next;
      detail = describe();
      if (next === 'transcribing') fraction = segmentFraction;
      draw(true);
    },
    onDecodeProgress(decodedSec, totalSec) {
      fraction = totalSec ? decodedSec / totalSec : 0;
      decoded = `${decodedSec.toFixed(0)} s`;
      detail = describe();
      draw();
    },
    onPlan(plan, reused) {
      decoded = '';
      segments = `${plan.length} segments${reused ? `, ${reused} reused` : ''}`;
      detail = describe();
      draw(true);
    },
    onSegmentDone(_index, done, total) {
      segments = `${done}/${total} segments`;
      segmentFraction = total ? done / total : 1;
      if (stage !== 'decoding' && stage !== 'planning') fraction = segmentFraction;
      detail = describe();
      draw(true);
    },
    stop() {
      if (active) stream.write('\r\x1b[2K');
    },
  };
}
