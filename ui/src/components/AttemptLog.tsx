/** The attempt log: every try of every segment (backend, outcome, error, backoff), eventful ones first. */
import { useState } from 'preact/hooks';
import { clock, seconds } from '../format';
import type { SegmentList } from '../types';

export function AttemptLog(props: { timings: SegmentList | null }) {
  const [all, setAll] = useState(false);
  const rows = props.timings?.data ?? [];
  const eventful = rows.filter((s) => s.attempt_log.length > 1 || s.attempt_log.some((a) => a.outcome !== 'ok') || s.status === 'failed');
  const shown = all ? rows : eventful;
  return (
    <details class="attempts">
      <summary>
        Attempt log ({eventful.length} segment{eventful.length === 1 ? '' : 's'} with retries, hedges or errors)
      </summary>
      <label class="inline small">
        <input type="checkbox" checked={all} onChange={(e) => setAll(e.currentTarget.checked)} /> Show every segment
      </label>
      {shown.length === 0 ? (
        <p class="muted small">Every segment succeeded at its first attempt.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Segment</th>
                <th scope="col">Try</th>
                <th scope="col">Backend</th>
                <th scope="col">Outcome</th>
                <th scope="col" class="num">Took</th>
                <th scope="col" class="num">Backoff</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {shown.flatMap((s) =>
                (s.attempt_log.length ? s.attempt_log : [null]).map((a, i) => (
                  <tr key={`${s.index}-${i}`}>
                    <td>
                      #{s.index + 1} {clock(s.start_sec)}
                    </td>
                    <td>{a ? `${a.attempt}${a.hedge ? ' (hedge)' : ''}` : '–'}</td>
                    <td>{a?.backend ?? s.backend ?? '–'}</td>
                    <td>{a?.outcome ?? s.status}</td>
                    <td class="num">{a?.started_at && a.ended_at ? seconds((Date.parse(a.ended_at) - Date.parse(a.started_at)) / 1000, 2) : '–'}</td>
                    <td class="num">{a && a.backoff_ms ? seconds(a.backoff_ms / 1000, 2) : '–'}</td>
                    <td class="small">{a?.error ? `${a.error_code}: ${a.error}` : (s.error?.message ?? '')}</td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
        </div>
      )}
    </details>
  );
}
