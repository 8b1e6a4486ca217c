/** `parascribe stats`: jobs, audio, latency, errors, retries, cost and cache per backend over a window. */
import type { Config } from '../config/schema.js';
import { nowSec } from '../core/time.js';
import { parseSince, statsView, type StatsView } from '../ops/stats/view.js';
import { openRuntime } from '../runtime.js';
import { fixed, table } from './render.js';

export interface StatsCommandOptions {
  since: string;
  backend?: string | undefined;
  json: boolean;
}

const pct = (rate: number | null): string => (rate === null ? '-' : `${(rate * 100).toFixed(1)}`);
const p = (values: { p50: number; p95: number; p99: number } | null): string => (values ? `${fixed(values.p50)} / ${fixed(values.p95)} / ${fixed(values.p99)}` : '-');

export function statsTable(view: StatsView): string {
  const rows = [...view.backends, ...(view.backends.length > 1 ? [view.total] : [])].map((s) => [
    s.backend === '*' ? 'total' : s.backend,
    String(s.jobs),
    String(s.completed),
    String(s.failed + s.interrupted),
    String(s.active),
    fixed(s.audio_hours, 2),
    p(s.turnaround_sec),
    p(s.first_words_sec),
    pct(s.error_rate),
    String(s.retries),
    s.cost_usd.toFixed(4),
    s.cost_per_audio_minute_usd === null ? '-' : s.cost_per_audio_minute_usd.toFixed(4),
    pct(s.cache_hit_rate),
  ]);
  const headers = ['backend', 'jobs', 'done', 'errors', 'active', 'audio h', 'turnaround s p50/p95/p99', 'first words s p50/p95/p99', 'error %', 'retries', 'cost $', '$/audio min', 'cache %'];
  return `jobs created ${view.since} – ${view.until}${view.backend ? `, backend ${view.backend}` : ''}\n${table(headers, rows)}`;
}

export async function statsCommand(config: Config, options: StatsCommandOptions, stdout: NodeJS.WritableStream): Promise<number> {
  const now = nowSec();
  const sinceSec = parseSince(options.since, now);
  const runtime = await openRuntime(config);
  try {
    const report = await runtime.store.stats.report({ sinceSec, backend: options.backend }, now);
    const view = statsView(report, 'all');
    if (options.json) stdout.write(`${JSON.stringify(view)}\n`);
    else stdout.write(view.total.jobs === 0 ? `no jobs created since ${view.since}\n` : `${statsTable(view)}\n`);
    return 0;
  } finally {
    await runtime.close();
  }
}
