/**
 * Telemetry: the job's own numbers once it has ended (GET /v1/jobs/:id telemetry); while it runs,
 * the same quantities estimated from the segments so far. Downloads of the transcript in every format.
 */
import { useState } from 'preact/hooks';
import { api } from '../api';
import { clock, seconds, usd } from '../format';
import type { Job, SegmentList } from '../types';

function liveNumbers(job: Job, timings: SegmentList | null, nowMs: number) {
  const rows = timings?.data ?? [];
  const started = job.started_at ? Date.parse(job.started_at) : nowMs;
  const wall = Math.max(0, (nowMs - started) / 1000);
  const computed = rows.filter((s) => s.status === 'completed');
  const compute = computed.reduce((sum, s) => sum + (s.compute_sec ?? 0), 0);
  const life = computed.map((s) => (s.dispatched_at && s.completed_at ? (Date.parse(s.completed_at) - Date.parse(s.dispatched_at)) / 1000 - (s.compute_sec ?? 0) : 0));
  return {
    wall_sec: wall,
    compute_sec: compute,
    parallelism: wall > 0 ? compute / wall : 0,
    overhead_per_segment_sec: life.length ? life.reduce((a, b) => a + Math.max(0, b), 0) / life.length : 0,
    real_time_factor: job.duration_sec ? wall / job.duration_sec : 0,
    cold_starts: computed.filter((s) => s.cold_start).length,
    cost_usd: rows.reduce((sum, s) => sum + (s.cost_usd ?? 0), 0),
    cache_hit: false,
  };
}

export function Telemetry(props: { job: Job; timings: SegmentList | null; live: boolean }) {
  const t = props.job.telemetry ?? liveNumbers(props.job, props.timings, Date.now());
  const items: Array<[string, string]> = [
    ['Audio', clock(props.job.duration_sec)],
    ['Wall', seconds(t.wall_sec)],
    ['Compute', seconds(t.compute_sec)],
    ['k (parallelism)', t.parallelism.toFixed(2)],
    ['Overhead per segment', seconds(t.overhead_per_segment_sec, 2)],
    ['Real-time factor', t.real_time_factor.toFixed(3)],
    ['Cold starts', String(t.cold_starts)],
    ['Cost', usd(t.cost_usd)],
    ['Cache hit', t.cache_hit ? 'yes' : 'no'],
  ];
  return (
    <section class="telemetry" aria-labelledby="telemetry-title">
      <h2 id="telemetry-title">Telemetry{props.live && !props.job.telemetry ? ' (so far)' : ''}</h2>
      <dl>
        {items.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

const FORMATS: Array<[string, string]> = [
  ['txt', 'txt'],
  ['srt', 'srt'],
  ['vtt', 'vtt'],
  ['md', 'md'],
  ['json', 'json'],
  ['verbose_json', 'verbose.json'],
];

export function Downloads(props: { job: Job }) {
  const [error, setError] = useState<string | null>(null);
  const base = (props.job.source_name ?? props.job.id).replace(/\.[^.]+$/, '') || props.job.id;
  const download = async (format: string, extension: string) => {
    try {
      const blob = await api.transcript(props.job.id, format);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `${base}.${extension}`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  if (props.job.status !== 'completed') return null;
  return (
    <section class="downloads" aria-labelledby="downloads-title">
      <h2 id="downloads-title">Download</h2>
      <div class="row wrap">
        {FORMATS.map(([format, extension]) => (
          <button key={format} type="button" class="small" onClick={() => download(format, extension)}>
            {extension}
          </button>
        ))}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
