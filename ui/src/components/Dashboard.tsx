/**
 * The dashboard: turnaround p50/p95, error rate, cost per audio minute (GET /v1/stats, the numbers of
 * `parascribe stats`), jobs per hour and the server's queue and workers (GET /v1/stats/hourly).
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { seconds, usd } from '../format';
import type { HourlyStats, Stats } from '../types';

function JobsPerHour(props: { hours: HourlyStats['hours'] }) {
  const max = Math.max(1, ...props.hours.map((h) => h.jobs));
  const width = 100 / props.hours.length;
  return (
    <svg class="chart" viewBox="0 0 100 40" preserveAspectRatio="none" role="img" aria-label={`Jobs per hour over the last ${props.hours.length} hours, at most ${max}`}>
      {props.hours.map((h, i) => {
        // Stacked: completed at the bottom, then failed, then the rest (running, cancelled…).
        const scale = (n: number) => (n / max) * 38;
        const done = scale(h.completed);
        const failed = scale(h.failed);
        const other = scale(h.jobs - h.completed - h.failed);
        const x = i * width + width * 0.1;
        return (
          <g key={h.hour}>
            <title>{`${new Date(h.hour).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' })}: ${h.jobs} jobs, ${h.completed} completed, ${h.failed} failed`}</title>
            {done > 0 && <rect class="bar completed" x={x} width={width * 0.8} y={40 - done} height={done} />}
            {failed > 0 && <rect class="bar failed" x={x} width={width * 0.8} y={40 - done - failed} height={failed} />}
            {other > 0 && <rect class="bar other" x={x} width={width * 0.8} y={40 - done - failed - other} height={other} />}
          </g>
        );
      })}
    </svg>
  );
}

export function Dashboard() {
  const [hours, setHours] = useState(24);
  const [stats, setStats] = useState<{ totals: Stats; hourly: HourlyStats } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const load = () =>
      Promise.all([api.stats(hours), api.hourly(hours)]).then(
        ([totals, hourly]) => setStats({ totals, hourly }),
        (e: Error) => setError(e.message),
      );
    void load();
    const timer = setInterval(load, 10_000);
    return () => clearInterval(timer);
  }, [hours]);
  return (
    <section aria-labelledby="dash-title" class="dashboard">
      <div class="heading-row">
        <h1 id="dash-title">Dashboard</h1>
        <label class="inline">
          Window
          <select value={String(hours)} onChange={(e) => setHours(Number(e.currentTarget.value))}>
            <option value="6">6 hours</option>
            <option value="24">24 hours</option>
            <option value="168">7 days</option>
          </select>
        </label>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {stats && (
        <>
          {stats.totals.scope === 'all' && <p class="small muted">An admin key: every key's jobs.</p>}
          <dl class="cards">
            <div>
              <dt>Jobs</dt>
              <dd>{stats.totals.total.jobs}</dd>
            </div>
            <div>
              <dt>Turnaround p50</dt>
              <dd>{seconds(stats.totals.total.turnaround_sec?.p50)}</dd>
            </div>
            <div>
              <dt>Turnaround p95</dt>
              <dd>{seconds(stats.totals.total.turnaround_sec?.p95)}</dd>
            </div>
            <div>
              <dt>First words p50</dt>
              <dd>{seconds(stats.totals.total.first_words_sec?.p50)}</dd>
            </div>
            <div>
              <dt>Error rate</dt>
              <dd>{stats.totals.total.error_rate === null ? '–' : `${(stats.totals.total.error_rate * 100).toFixed(1)} %`}</dd>
            </div>
            <div>
              <dt>Audio transcribed</dt>
              <dd>{(stats.totals.total.audio_hours * 60).toFixed(1)} min</dd>
            </div>
            <div>
              <dt>Cost per audio minute</dt>
              <dd>{usd(stats.totals.total.cost_per_audio_minute_usd)}</dd>
            </div>
            <div>
              <dt>Queue depth</dt>
              <dd>
                {stats.hourly.server.queued_jobs} waiting, {stats.hourly.server.running_jobs} running
              </dd>
            </div>
            <div>
              <dt>Workers</dt>
              <dd>{stats.hourly.server.distributed ? `${stats.hourly.server.distributed.workers ?? '?'} (${stats.hourly.server.distributed.worker_slots ?? '?'} slots)` : 'embedded (this server)'}</dd>
            </div>
          </dl>
          <h2>Jobs per hour</h2>
          <JobsPerHour hours={stats.hourly.hours} />
          <div class="axis small muted" aria-hidden="true">
            <span>{new Date(stats.hourly.since).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' })}</span>
            <span>now</span>
          </div>
          <ul class="legend" aria-label="Legend">
            <li>
              <span class="swatch completed" aria-hidden="true" /> completed
            </li>
            <li>
              <span class="swatch failed" aria-hidden="true" /> failed
            </li>
            <li>
              <span class="swatch reused" aria-hidden="true" /> other (running, cancelled)
            </li>
          </ul>
          <p class="small muted">
            Since {new Date(stats.totals.since).toLocaleString()} · {stats.totals.total.completed} completed, {stats.totals.total.failed + stats.totals.total.interrupted} failed,{' '}
            {stats.totals.total.cancelled} cancelled, {stats.totals.total.active} active
          </p>
          {stats.hourly.server.distributed && (
            <>
              <h2>Segment queues</h2>
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Backend</th>
                      <th scope="col" class="num">Waiting</th>
                      <th scope="col" class="num">Active</th>
                      <th scope="col" class="num">Oldest wait</th>
                    </tr>
                  </thead>
                  <tbody>
                    {stats.hourly.server.distributed.queues.map((q) => (
                      <tr key={q.backend}>
                        <td>{q.backend}</td>
                        <td class="num">{q.waiting}</td>
                        <td class="num">{q.active}</td>
                        <td class="num">{seconds(q.oldest_wait_sec)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
        </>
      )}
    </section>
  );
}
