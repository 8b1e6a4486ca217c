/** The job page: live while the job runs (SSE), the player and waveform beside the growing transcript. */
import { useMemo, useRef } from 'preact/hooks';
import { api } from '../api';
import { clock, TERMINAL, when } from '../format';
import { finalBlocks, fromTranscriptJson, liveBlocks } from '../job/paragraphs';
import { PlayerBus } from '../job/player-bus';
import { useJobLive } from '../job/use-job-live';
import { Ask } from './Ask';
import { AttemptLog } from './AttemptLog';
import { Player } from './Player';
import { Downloads, Telemetry } from './Telemetry';
import { Timeline } from './Timeline';
import { Transcript } from './Transcript';

export function JobPage(props: { id: string; startAt: number }) {
  const live = useJobLive(props.id);
  const bus = useRef(new PlayerBus()).current;
  const { job } = live;
  const segmentBlocks = useMemo(() => liveBlocks(live.segments), [live.segments]);
  const final = useMemo(() => (live.transcript ? finalBlocks(fromTranscriptJson(live.transcript)) : null), [live.transcript]);
  if (live.error) {
    return (
      <section>
        <h1>Job</h1>
        <p class="error" role="alert">
          {live.error}
        </p>
      </section>
    );
  }
  if (!job) return <p role="status">Loading…</p>;
  const running = !TERMINAL.has(job.status);
  const { progress } = job;
  return (
    <article class="job-page">
      <header class="job-head">
        <h1>{job.source_name ?? job.id}</h1>
        <p class="small">
          <span class={`status ${job.status}`}>{job.status}</span>
          {running && progress.stage ? ` · ${progress.stage}` : ''}
          {' · '}
          <span role="status">
            {progress.segments_done}
            {progress.segments_total ? ` of ${progress.segments_total}` : ''} segments
          </span>
          {' · '}audio {clock(job.duration_sec)} · {job.backend}
          {job.language ? ` · ${job.language}` : ''} · created {when(job.created_at)}
        </p>
        {job.error && (
          <p class="error" role="alert">
            {job.error.code}: {job.error.message}
          </p>
        )}
        {running && (
          <button type="button" class="small" onClick={() => void api.cancel(job.id).catch(() => undefined)}>
            Cancel job
          </button>
        )}
      </header>
      <div class="job-grid">
        <div class="main-col">
          <Player jobId={job.id} bus={bus} peaks={live.peaks} durationSec={job.duration_sec} {...(Number.isFinite(props.startAt) ? { startAt: props.startAt } : {})} />
          <Transcript live={segmentBlocks} final={final} bus={bus} running={running} />
        </div>
        <aside class="side-col">
          <Timeline timings={live.timings} live={running} bus={bus} />
          <Telemetry job={job} timings={live.timings} live={running} />
          <Downloads job={job} />
          <Ask jobId={job.id} bus={bus} />
          <AttemptLog timings={live.timings} />
        </aside>
      </div>
    </article>
  );
}
