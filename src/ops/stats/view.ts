/**
 * `parascribe stats` and `GET /v1/stats` share this: the `--since` syntax and the JSON view of a
 * StatsReport (src/store/stats.ts), so that both show the same numbers, unrounded.
 */
import { ParascribeError } from '../../errors.js';
import type { BackendStats, Percentiles, StatsReport } from '../../store/stats.js';

const UNIT_SEC: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `24h`, `30m`, `7d`, `90s`, `2w` back from now, or an ISO 8601 date/time; epoch seconds. */
export function parseSince(raw: string, nowSec: number): number {
  const text = raw.trim();
  const relative = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(text);
  if (relative) return nowSec - Number(relative[1]) * UNIT_SEC[relative[2]!.toLowerCase()]!;
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const ms = Date.parse(text);
    if (Number.isFinite(ms)) return ms / 1000;
  }
  throw new ParascribeError('INVALID_ARGUMENT', `since: "${raw}" is neither a duration (90s, 30m, 24h, 7d, 2w) nor an ISO date (2026-12-01, 2026-12-01T08:00:00Z)`);
}

const percentilesView = (p: Percentiles | null) => (p ? { p50: p.p50, p95: p.p95, p99: p.p99 } : null);

export function backendStatsView(s: BackendStats) {
  return {
    backend: s.backend,
    jobs: s.jobs,
    completed: s.completed,
    failed: s.failed,
    cancelled: s.cancelled,
    interrupted: s.interrupted,
    active: s.active,
    audio_hours: s.audioSec / 3600,
    turnaround_sec: percentilesView(s.turnaroundSec),
    first_words_sec: percentilesView(s.firstWordsSec),
    error_rate: s.errorRate,
    segments: s.segments,
    retries: s.retries,
    cost_usd: s.costUsd,
    cost_per_audio_minute_usd: s.costPerAudioMinuteUsd,
    cache_hits: s.cacheHits,
    cache_hit_rate: s.cacheHitRate,
  };
}

/** `scope`: 'all' jobs (the CLI, an admin key) or the calling 'key''s own. */
export function statsView(report: StatsReport, scope: 'all' | 'key') {
  return {
    object: 'stats',
    since: new Date(report.sinceSec * 1000).toISOString(),
    until: new Date(report.untilSec * 1000).toISOString(),
    backend: report.backend,
    scope,
    total: backendStatsView(report.total),
    backends: report.backends.map(backendStatsView),
  };
}

export type StatsView = ReturnType<typeof statsView>;
