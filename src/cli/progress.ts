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

  return {
    onStage(next) {
      stage = next;
      detail = '';
      if (next === 'transcribing') fraction = 0;
      draw(true);
    },
    onDecodeProgress(decodedSec, totalSec) {
      fraction = totalSec ? decodedSec / totalSec : 0;
      detail = `${decodedSec.toFixed(0)} s`;
      draw();
    },
    onPlan(plan, reused) {
      detail = `${plan.length} segments${reused ? `, ${reused} reused` : ''}`;
      draw(true);
    },
    onSegmentDone(_index, done, total) {
      fraction = total ? done / total : 1;
      detail = `${done}/${total} segments`;
      draw(true);
    },
    stop() {
      if (active) stream.write('\r\x1b[2K');
    },
  };
}
