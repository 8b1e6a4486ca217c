/**
 * Prometheus metrics of one service instance (its own Registry: no global state). Job counts by
 * status are read from the store at scrape time, so they match the database even across restarts;
 * the rest are this process's counters and histograms, fed when a job ends (from its stored rows).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BreakerBoard } from '../queue/breaker.js';
import type { QueueStatsSource } from '../queue/bullmq/queue-stats.js';
import type { BackendLoad } from '../queue/load.js';
import type { JobRow, JobStore, SegmentRow } from '../store/jobs.js';
import { registerQueueMetrics } from './queue-metrics.js';
import { registerRolloutMetrics } from './rollout-metrics.js';

const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

export interface MetricsSources {
  store: JobStore;
  breakers: BreakerBoard;
  load: BackendLoad;
  backendIds: () => string[];
  queuedJobs: () => number;
  runningJobs: () => number;
  /** Distributed mode: the segment queues, workers and autoscaling signal (queue-metrics.ts). */
  queues?: QueueStatsSource;
}

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly #jobWall: Histogram<'status'>;
  readonly #segmentLife: Histogram<'backend'>;
  readonly #segmentCompute: Histogram<'backend'>;
  readonly #segments: Counter<'backend' | 'status'>;
  readonly #retries: Counter<'backend'>;
  readonly #cacheHits: Counter;
  readonly #audioSec: Counter;
  readonly #costUsd: Counter<'backend'>;
  readonly #webhooks: Counter<'outcome'>;
  readonly #http: Histogram<'method' | 'route' | 'status'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    // Event-loop lag sampled every 100 ms rather than 10: the default wakes an idle server 100 times a second.
    collectDefaultMetrics({ register: this.registry, prefix: 'parascribe_process_', eventLoopMonitoringPrecision: 100 });
    new Gauge({
      name: 'parascribe_jobs',
      help: 'Jobs in the store by status (read from the database at scrape time).',
      labelNames: ['status'],
      registers,
      async collect() {
        this.reset();
        for (const { status, count } of await sources.store.countJobsByStatus()) this.set({ status }, count);
      },
    });
    new Gauge({ name: 'parascribe_queue_depth', help: 'Jobs accepted and waiting for a slot.', registers, collect() { this.set(sources.queuedJobs()); } });
    new Gauge({ name: 'parascribe_jobs_running', help: 'Jobs being transcribed now.', registers, collect() { this.set(sources.runningJobs()); } });
    new Gauge({
      name: 'parascribe_segments_in_flight',
      help: 'Segments dispatched to a backend and not finished, per backend.',
      labelNames: ['backend'],
      registers,
      collect() {
        for (const id of sources.backendIds()) this.set({ backend: id }, sources.load.get(id));
      },
    });
    new Gauge({
      name: 'parascribe_breaker_state',
      help: 'Circuit breaker per backend: 0 closed, 1 half-open, 2 open.',
      labelNames: ['backend'],
      registers,
      collect() {
        for (const id of sources.backendIds()) this.set({ backend: id }, BREAKER_VALUE[sources.breakers.get(id).state]);
      },
    });
    this.#jobWall = new Histogram({
      name: 'parascribe_job_duration_seconds',
      help: 'Wall-clock seconds from job start to its end, by final status.',
      labelNames: ['status'],
      buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1200, 3600],
      registers,
    });
    const segmentBuckets = [0.1, 0.5, 1, 2, 5, 10, 20, 40, 80, 160, 320];
    this.#segmentLife = new Histogram({ name: 'parascribe_segment_duration_seconds', help: 'Seconds from dispatch to stored result per computed segment.', labelNames: ['backend'], buckets: segmentBuckets, registers });
    this.#segmentCompute = new Histogram({ name: 'parascribe_segment_compute_seconds', help: "Backend compute seconds per computed segment.", labelNames: ['backend'], buckets: segmentBuckets, registers });
    this.#segments = new Counter({ name: 'parascribe_segments_total', help: 'Segments finished, by backend and status (completed, reused, failed, cancelled).', labelNames: ['backend', 'status'], registers });
    this.#retries = new Counter({ name: 'parascribe_segment_retries_total', help: 'Segment attempts beyond the first, by the backend of the retried attempt.', labelNames: ['backend'], registers });
    this.#cacheHits = new Counter({ name: 'parascribe_cache_hits_total', help: 'Jobs answered from the transcript cache.', registers });
    this.#audioSec = new Counter({ name: 'parascribe_audio_seconds_total', help: 'Seconds of audio in completed jobs.', registers });
    this.#costUsd = new Counter({ name: 'parascribe_cost_usd_total', help: 'Backend cost of computed segments in USD.', labelNames: ['backend'], registers });
    this.#webhooks = new Counter({ name: 'parascribe_webhook_deliveries_total', help: 'Webhook deliveries by outcome.', labelNames: ['outcome'], registers });
    if (sources.queues) registerQueueMetrics(this.registry, sources.queues);
    registerRolloutMetrics(this.registry, sources.store);
    this.#http = new Histogram({
      name: 'parascribe_http_request_duration_seconds',
      help: 'HTTP request handling time by route and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    });
  }

  /** Called once per job when it reaches a final status, with its stored rows. */
  jobEnded(job: JobRow, segments: readonly SegmentRow[]): void {
    if (job.started_at !== null && job.completed_at !== null) this.#jobWall.observe({ status: job.status }, job.completed_at - job.started_at);
    if (job.status === 'completed') {
      if (job.cache_hit) this.#cacheHits.inc();
      this.#audioSec.inc(job.duration_sec ?? 0);
    }
    for (const segment of segments) {
      const backend = segment.backend ?? 'none';
      this.#segments.inc({ backend, status: segment.status });
      if (segment.cost_usd) this.#costUsd.inc({ backend }, segment.cost_usd);
      if (segment.status === 'completed' && segment.started_at !== null && segment.completed_at !== null) {
        this.#segmentLife.observe({ backend }, Math.max(0, segment.completed_at - segment.started_at));
        this.#segmentCompute.observe({ backend }, segment.compute_sec ?? 0);
      }
      for (const attempt of parseAttempts(segment.attempts_json).slice(1)) this.#retries.inc({ backend: attempt.backend ?? backend });
    }
  }

  webhook(outcome: 'delivered' | 'failed'): void {
    this.#webhooks.inc({ outcome });
  }

  httpRequest(method: string, route: string, status: number, seconds: number): void {
    this.#http.observe({ method, route, status: String(status) }, seconds);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

function parseAttempts(json: string | null): Array<{ backend?: string }> {
  if (!json) return [];
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) ? (parsed as Array<{ backend?: string }>) : [];
  } catch {
    return [];
  }
}
