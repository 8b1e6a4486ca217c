/**
 * Distributed mode's gauges: the segment queues, the live workers, recent throughput and the
 * autoscaling signal `parascribe_desired_workers`, all from one snapshot read at scrape time
 * (queue/bullmq/queue-stats.ts). A value that could not be read is left out of the scrape (labelled
 * gauges) or NaN (unlabelled ones, which prom-client always writes); a scrape never fails because
 * Redis or the database is away. See docs/scaling.md.
 */
import { Gauge, type Registry } from 'prom-client';
import type { QueueSnapshot, QueueStatsSource } from '../queue/bullmq/queue-stats.js';

type Fill = (gauge: Gauge<string>, snapshot: QueueSnapshot) => void;

interface GaugeSpec {
  name: string;
  help: string;
  labelNames?: string[];
  fill: Fill;
}

const SPECS: GaugeSpec[] = [
  {
    name: 'parascribe_segments_waiting',
    help: 'Segment tasks on the queue not yet taken by a worker (BullMQ waiting + prioritized + delayed), per backend queue.',
    labelNames: ['backend'],
    fill: (g, s) => s.queues.forEach((q) => g.set({ backend: q.backend }, q.waitingTasks)),
  },
  {
    name: 'parascribe_segments_active',
    help: 'Segment tasks a worker holds now, per backend queue.',
    labelNames: ['backend'],
    fill: (g, s) => s.queues.forEach((q) => g.set({ backend: q.backend }, q.activeTasks)),
  },
  {
    name: 'parascribe_segments_oldest_wait_seconds',
    help: 'Age of the oldest waiting segment task (from its enqueue time), 0 when none waits, per backend queue.',
    labelNames: ['backend'],
    fill: (g, s) => s.queues.forEach((q) => g.set({ backend: q.backend }, q.oldestWaitSec)),
  },
  {
    name: 'parascribe_backlog_audio_seconds',
    help: 'Audio seconds in waiting and active segment tasks, per backend queue.',
    labelNames: ['backend'],
    fill: (g, s) => s.queues.forEach((q) => g.set({ backend: q.backend }, q.backlogAudioSec)),
  },
  {
    name: 'parascribe_workers',
    help: 'Live parascribe worker processes (heartbeat within 30 s) serving each backend.',
    labelNames: ['backend'],
    fill: (g, s) => perBackend(s, () => 1).forEach((count, backend) => g.set({ backend }, count)),
  },
  {
    name: 'parascribe_worker_slots',
    help: 'Segments live workers can run at once, per backend (sum of their concurrency).',
    labelNames: ['backend'],
    fill: (g, s) => perBackend(s, (w) => w.concurrency).forEach((slots, backend) => g.set({ backend }, slots)),
  },
  {
    name: 'parascribe_workers_live',
    help: 'Live parascribe worker processes (heartbeat within 30 s), all backends; NaN when Redis could not be read.',
    fill: (g, s) => g.set(s.workers ? s.workers.length : NaN),
  },
  {
    name: 'parascribe_throughput_audio_seconds_per_second',
    help: 'Audio seconds of segments finished per wall second over the last 300 s, per backend that served them.',
    labelNames: ['backend'],
    fill: (g, s) => s.throughput?.forEach((t, backend) => g.set({ backend }, t.audioSecPerSec)),
  },
  {
    name: 'parascribe_slot_speed_ratio',
    help: "Audio seconds per processing second of one worker slot (× real time), over the last 3600 s' finished segments, per backend.",
    labelNames: ['backend'],
    fill: (g, s) =>
      s.throughput?.forEach((t, backend) => {
        if (t.slotSpeed !== undefined) g.set({ backend }, t.slotSpeed);
      }),
  },
  {
    name: 'parascribe_desired_workers',
    help: 'Workers wanted: max(reactive, predictive), scale-down held for scaleDownStabilisationSec, clamped to [minWorkers, maxWorkers] (docs/scaling.md). NaN when an input could not be read.',
    fill: (g, s) => g.set(s.autoscale ? s.autoscale.desiredWorkers : NaN),
  },
  {
    name: 'parascribe_desired_workers_reactive',
    help: 'The reactive part of parascribe_desired_workers: queued audio ÷ measured slot speed within latencyTargetSec, before bounds and the scale-down window. NaN when an input could not be read.',
    fill: (g, s) => g.set(s.autoscale ? (s.autoscale.fleet?.reactiveWorkers ?? s.autoscale.desiredWorkers) : NaN),
  },
  {
    name: 'parascribe_desired_workers_predictive',
    help: 'The predictive part of parascribe_desired_workers: workers for the forecast arrivals at now + provisioningDelaySec. NaN when there is no forecast (see parascribe_forecast_available).',
    fill: (g, s) => g.set(s.autoscale?.fleet?.predictiveWorkers ?? NaN),
  },
  {
    name: 'parascribe_desired_workers_stabilised',
    help: '1 when parascribe_desired_workers is held up by the scale-down stabilisation window (a higher recommendation within scaleDownStabilisationSec), else 0.',
    fill: (g, s) => g.set(s.autoscale?.fleet ? (s.autoscale.fleet.source === 'stabilised' ? 1 : 0) : NaN),
  },
  {
    name: 'parascribe_forecast_available',
    help: '1 when the demand forecast is in parascribe_desired_workers; 0 when it is the reactive signal alone (no history, under a day of it, no measured speed, or forecast off: the server log says which).',
    fill: (g, s) => g.set(s.autoscale?.fleet?.forecast.kind === 'model' ? 1 : 0),
  },
  {
    name: 'parascribe_forecast_history_days',
    help: 'Whole days of job arrivals behind the demand forecast (14 or more: weekly profile, else daily).',
    fill: (g, s) => g.set(s.autoscale?.fleet?.forecast.historyDays ?? NaN),
  },
  {
    name: 'parascribe_forecast_audio_seconds_per_second',
    help: 'Forecast arrivals (audio seconds per second) at the busiest bin of [now + provisioningDelaySec, + one bin].',
    fill: (g, s) => g.set(s.autoscale?.fleet?.forecast.forecastAudioSecPerSec ?? NaN),
  },
  {
    name: 'parascribe_forecast_error_ratio',
    help: 'Error of the last forecast fit on its held-out last day, per bin of audio seconds.',
    labelNames: ['measure'],
    fill: (g, s) => {
      const f = s.autoscale?.fleet?.forecast;
      if (f?.mape !== undefined && Number.isFinite(f.mape)) g.set({ measure: 'mape' }, f.mape);
      if (f?.wape !== undefined && Number.isFinite(f.wape)) g.set({ measure: 'wape' }, f.wape);
    },
  },
  {
    name: 'parascribe_desired_workers_unmeasured_backends',
    help: 'Backends with queued tasks but no measured slot speed in the last 3600 s: desired workers counts one slot per task for them.',
    fill: (g, s) => g.set(s.autoscale ? s.autoscale.unmeasuredBackends.length : NaN),
  },
];

/** Registers the gauges on a registry; they read `source` when scraped (one snapshot per scrape). */
export function registerQueueMetrics(registry: Registry, source: QueueStatsSource): void {
  for (const spec of SPECS) {
    new Gauge({
      name: spec.name,
      help: spec.help,
      labelNames: spec.labelNames ?? [],
      registers: [registry],
      async collect() {
        this.reset();
        try {
          spec.fill(this, await source.snapshot());
        } catch {
          // Left out of this scrape: a snapshot never throws, this is only a backstop.
        }
      },
    });
  }
}

/** Per backend over the live workers; every readable queue's backend is present (0: no worker serves it). */
function perBackend(snapshot: QueueSnapshot, value: (worker: { concurrency: number }) => number): Map<string, number> {
  const out = new Map<string, number>();
  if (!snapshot.workers) return out;
  for (const queue of snapshot.queues) out.set(queue.backend, 0);
  for (const worker of snapshot.workers) {
    for (const backend of new Set(worker.backends)) out.set(backend, (out.get(backend) ?? 0) + value(worker));
  }
  return out;
}
