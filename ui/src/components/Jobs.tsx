/** The caller's jobs: live status, audio length, wall, k, cost; filter by status, page, cancel or delete. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { clock, seconds, TERMINAL, usd, when } from '../format';
import { href } from '../router';
import type { Job } from '../types';

const FILTERS = [
  ['', 'All'],
  ['queued,running', 'Active'],
  ['completed', 'Completed'],
  ['failed,interrupted', 'Failed'],
  ['cancelled', 'Cancelled'],
] as const;

export function Jobs() {
  const [status, setStatus] = useState('');
  // The `before` cursor of each page shown so far (null: the first page).
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const [page, setPage] = useState<{ data: Job[]; next: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const before = cursors.at(-1) ?? null;

  const load = useCallback(async () => {
    try {
      const list = await api.jobs({ limit: 20, before, status });
      setPage({ data: list.data, next: list.next_before });
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [before, status]);

  useEffect(() => {
    void load();
  }, [load]);
  // Live status: poll while a job on this page is still going.
  const active = page?.data.some((j) => !TERMINAL.has(j.status)) ?? false;
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => void load(), 2000);
    return () => clearInterval(timer);
  }, [active, load]);

  const act = async (what: 'cancel' | 'remove', job: Job) => {
    if (what === 'remove' && !confirm(`Delete job ${job.source_name ?? job.id} and its transcript?`)) return;
    try {
      await (what === 'cancel' ? api.cancel(job.id) : api.remove(job.id));
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <section aria-labelledby="jobs-title">
      <div class="heading-row">
        <h1 id="jobs-title">Jobs</h1>
        <a class="button" href={href('new')}>
          New job
        </a>
      </div>
      <label class="inline">
        Show
        <select
          value={status}
          onChange={(e) => {
            setStatus(e.currentTarget.value);
            setCursors([null]);
          }}
        >
          {FILTERS.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </label>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {page && page.data.length === 0 && <p class="muted">No jobs yet.</p>}
      {page && page.data.length > 0 && (
        <div class="table-wrap">
          <table class="jobs">
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col" class="num">Audio</th>
                <th scope="col" class="num">Wall</th>
                <th scope="col" class="num">k</th>
                <th scope="col" class="num">Cost</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {page.data.map((job) => (
                <tr key={job.id} data-job={job.id}>
                  <td>
                    <a href={href(`jobs/${job.id}`)}>{job.source_name ?? job.id}</a>
                  </td>
                  <td>
                    <span class={`status ${job.status}`}>{job.status}</span>
                    {job.status === 'running' && job.progress.segments_total ? (
                      <span class="small muted">
                        {' '}
                        {job.progress.segments_done}/{job.progress.segments_total}
                      </span>
                    ) : null}
                  </td>
                  <td class="small">{when(job.created_at)}</td>
                  <td class="num">{clock(job.duration_sec)}</td>
                  <td class="num">{seconds(job.telemetry?.wall_sec)}</td>
                  <td class="num">{job.telemetry ? job.telemetry.parallelism.toFixed(1) : '–'}</td>
                  <td class="num">{usd(job.telemetry?.cost_usd)}</td>
                  <td class="actions">
                    {!TERMINAL.has(job.status) ? (
                      <button type="button" class="small" onClick={() => act('cancel', job)} aria-label={`Cancel ${job.source_name ?? job.id}`}>
                        Cancel
                      </button>
                    ) : (
                      <button type="button" class="small danger" onClick={() => act('remove', job)} aria-label={`Delete ${job.source_name ?? job.id}`}>
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
          Newer
        </button>
        <button type="button" disabled={!page?.next} onClick={() => page?.next && setCursors([...cursors, page.next])}>
          Older
        </button>
      </nav>
    </section>
  );
}
