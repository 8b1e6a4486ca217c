/**
 * Time rounding and formatting. Every printed time is first turned into whole milliseconds, so a value
 * like 59.9996 s carries into the minute (00:01:00,000) instead of printing a 60th second.
 */

/** Seconds → whole milliseconds. toPrecision strips binary noise (1.0005 * 1000 = 1000.4999…). */
function exactMs(sec: number): number {
  if (!Number.isFinite(sec)) return 0;
  return Math.round(Number((sec * 1000).toPrecision(15)));
}

/** Non-negative whole milliseconds, for display (a timestamp can't be negative). */
export function toWholeMs(sec: number): number {
  return Math.max(0, exactMs(sec));
}

/** Seconds rounded to 3 decimals, for JSON output. */
export function roundToMs(sec: number): number {
  return exactMs(sec) / 1000 + 0; // `+ 0` turns -0 into 0
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

function splitMs(totalMs: number): { h: number; m: number; s: number; ms: number } {
  return {
    h: Math.floor(totalMs / 3_600_000),
    m: Math.floor(totalMs / 60_000) % 60,
    s: Math.floor(totalMs / 1000) % 60,
    ms: totalMs % 1000,
  };
}

/** `HH:MM:SS,mmm` (SRT) or `HH:MM:SS.mmm` (WebVTT); hours have at least 2 digits. */
export function formatTimestamp(sec: number, msSeparator: ',' | '.'): string {
  const { h, m, s, ms } = splitMs(toWholeMs(sec));
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}${msSeparator}${pad(ms, 3)}`;
}

/** `HH:MM:SS`, truncated to the second so a marker never points past the speech it labels. */
export function formatMarker(sec: number): string {
  const { h, m, s } = splitMs(toWholeMs(sec));
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}`;
}

/** `H:MM:SS`, rounded to the nearest second (a duration, not a position). */
export function formatDuration(sec: number): string {
  const { h, m, s } = splitMs(Math.round(toWholeMs(sec) / 1000) * 1000);
  return `${h}:${pad(m, 2)}:${pad(s, 2)}`;
}
