/** Plain-text helpers for the CLI: tables, durations, the telemetry summary. */
import type { JobTelemetry } from '../telemetry/summary.js';

export function formatClock(totalSec: number): string {
  const sec = Math.max(0, Math.round(totalSec));
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${m}:${ss}`;
}

export const fixed = (value: number | null | undefined, digits = 1): string =>
  value === null || value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function telemetrySummary(t: JobTelemetry): string {
  return [
    `  audio       ${formatClock(t.durationSec)} (${fixed(t.durationSec)} s)`,
    `  wall-clock  ${fixed(t.wallSec, 2)} s`,
    `  compute     ${fixed(t.computeSec, 2)} s (summed backend seconds${t.prepareComputeSec ? `, ${fixed(t.prepareComputeSec, 2)} s of it preparing` : ''})`,
    `  parallelism k = ${fixed(t.parallelism, 2)} (compute / wall)`,
    `  segments    ${t.segments}${t.segmentsReused ? ` (${t.segmentsReused} reused from an earlier run)` : ''}`,
    `  overhead    ${fixed(t.overheadPerSegmentSec, 3)} s per segment (segment life minus backend compute)`,
    `  RTF         ${fixed(t.realTimeFactor, 4)} (wall / audio)`,
    `  cold starts ${t.coldStarts}`,
    `  cost        $${(t.costUsd ?? 0).toFixed(4)} ($${(t.costPerAudioMinuteUsd ?? 0).toFixed(4)} per audio minute)`,
    `  cache       ${t.cacheHit ? 'hit' : 'miss'}`,
  ].join('\n');
}
