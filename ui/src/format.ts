/** Numbers and times as the UI shows them. */

/** 75.3 → "1:15", 3725 → "1:02:05". */
export function clock(sec: number | null | undefined): string {
  if (sec === null || sec === undefined || !Number.isFinite(sec)) return '–';
  const total = Math.max(0, Math.floor(sec));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export function seconds(sec: number | null | undefined, digits = 1): string {
  return sec === null || sec === undefined ? '–' : `${sec.toFixed(digits)} s`;
}

export function usd(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  return value === 0 ? '$0' : value < 0.01 ? `$${value.toFixed(5)}` : `$${value.toFixed(3)}`;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '–';
  const date = new Date(iso);
  return date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

/** "[00:12:34]" → 754. */
export function parseStamp(stamp: string): number | null {
  const match = /^\[?(\d{1,2}):(\d{2}):(\d{2})\]?$/.exec(stamp);
  return match ? Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]) : null;
}

export const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'interrupted']);
