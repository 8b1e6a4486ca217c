/**
 * Several `parascribe serve` processes on one PostgreSQL store (issue 17): the service's cluster
 * side, built from `runtime.cluster` (openRuntime gives it to a `serve` process on PostgreSQL),
 * absent on the embedded SQLite store.
 *
 * - Ownership (leases.ts, store/cluster.ts): each unfinished job is held by one server's lease; a
 *   lapsed lease is taken over by another server, which resumes the job from its stored segments.
 * - Notifications (notifier.ts): job changes and cancel requests cross servers (LISTEN/NOTIFY).
 * - Files (shared-files.ts, store/blobs.ts): uploads and transcripts live in the store as well.
 * - Health: `/readyz` reports the lease heartbeat, `/metrics` the jobs owned and the takeovers.
 */
import { hostname } from 'node:os';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Priority } from '../../core/types.js';
import { JobHandoff } from '../../queue/dispatch.js';
import type { ClaimedJob, ClusterStore } from '../../store/cluster.js';
import type { BlobStore } from '../../store/blobs.js';
import type { ClusterSettings } from '../../runtime.js';
import type { Kysely } from 'kysely';
import type { JobRow, JobStore } from '../../store/jobs.js';
import type { Database } from '../../store/schema.js';
import type { JobScheduler } from '../scheduler.js';
import type { JobWatch } from '../job-watch.js';
import type { ServiceMetrics } from '../metrics.js';
import type { JobFiles } from '../uploads.js';
import { instanceId } from './identity.js';
import { LeaseKeeper, type LeaseHealth } from './leases.js';
import { ClusterNotifier } from './notifier.js';
import { SharedFiles } from './shared-files.js';

/** The abort reason of a job whose lease another server holds now: stop, write nothing. */
export const LEASE_LOST = new JobHandoff('the job is held by another server now');

export type { ClusterSettings } from '../../runtime.js';

/** What the cluster asks of the service it serves. */
export interface ClusterHost {
  enqueue(jobId: string, priority: Priority, owner: string): void;
  /** Stops a local job (queued or running) with `reason`. */
  abort(jobId: string, reason: unknown): void;
  /** Jobs in this server's scheduler. */
  localJobs(): string[];
  /** Jobs this server would start now. */
  capacity(): number;
  /** Another server says the job changed. */
  wake(jobId: string): void;
  /** Notices may have been missed: everyone re-reads. */
  wakeAll(): void;
  /** Another server asks to cancel a job (ours if we run it). */
  cancel(jobId: string): void;
}

export class ServiceCluster {
  readonly id: string;
  readonly files: SharedFiles;
  readonly leases: LeaseKeeper;
  readonly notifier: ClusterNotifier;
  /** Uploads, transcripts and segment audio every server reads (server/routes/segments.ts too). */
  readonly blobs: BlobStore;
  /** What signed audio URLs are signed with: the same on every server (server/media-url.ts). */
  readonly mediaUrlSecret: Buffer;
  readonly #remoteStages = new Map<string, string>();
  readonly #leaseStore: ClusterStore;
  readonly #leaseSec: number;
  #url: string | null = null;
  #takeovers: Counter | undefined;
  #lapse: Histogram | undefined;

  constructor(files: JobFiles, settings: ClusterSettings, host: ClusterHost, log: (line: string) => void, onBlobBytes?: (bytes: number) => void) {
    this.#leaseStore = settings.leases;
    this.blobs = settings.blobs;
    this.mediaUrlSecret = settings.mediaUrlSecret;
    this.#leaseSec = settings.leaseSec;
    this.id = instanceId(settings.dataDir);
    this.files = new SharedFiles(settings.blobs, files, this.id, onBlobBytes);
    const onClaimed = (jobs: ClaimedJob[]) => {
      for (const job of jobs) {
        if (job.previousHolder && job.previousHolder !== this.id) {
          this.#takeovers?.inc();
          this.#lapse?.observe(Math.max(0, job.lapsedSec ?? 0));
        }
        host.enqueue(job.id, job.priority as Priority, job.owner);
      }
    };
    this.leases = new LeaseKeeper({
      store: settings.leases,
      blobs: settings.blobs,
      instance: () => ({ id: this.id, host: hostname(), pid: process.pid, url: this.#url }),
      leaseSec: settings.leaseSec,
      sweepSec: settings.sweepSec,
      keepUploadSec: settings.keepUploadSec,
      localJobs: () => host.localJobs(),
      capacity: () => host.capacity(),
      onClaimed,
      onLost: (jobId) => host.abort(jobId, LEASE_LOST),
      log,
    });
    this.notifier = new ClusterNotifier({
      databaseUrl: settings.databaseUrl,
      store: settings.leases,
      instanceId: this.id,
      onNotice: ({ jobId, stage }) => {
        if (stage === null) this.#remoteStages.delete(jobId);
        else {
          if (this.#remoteStages.size > 10_000) this.#remoteStages.clear();
          this.#remoteStages.set(jobId, stage);
        }
        host.wake(jobId);
      },
      onCancel: (jobId) => host.cancel(jobId),
      onResync: () => host.wakeAll(),
      log,
    });
  }

  /** The address this server answers on (shown in the live-server list). */
  setUrl(url: string): void {
    this.#url = url;
  }

  /** Listens for notices, then claims what this server may resume (its own earlier jobs, then unowned ones). */
  async start(localOrphans = 0): Promise<{ resumed: string[]; takenOver: string[]; orphans: number }> {
    await this.notifier.start();
    const { own, unowned, orphanBlobs } = await this.leases.start();
    return { resumed: [...own, ...unowned].map((j) => j.id), takenOver: unowned.map((j) => j.id), orphans: localOrphans + orphanBlobs };
  }

  /** Tells the other servers about a change of a job (its stage on this server, null when none). */
  published(jobId: string, stage: string | null): void {
    this.notifier.publish(jobId, stage);
  }

  /** The stage another server reported for a job it runs. */
  remoteStage(jobId: string): string | undefined {
    return this.#remoteStages.get(jobId);
  }

  /** What the transaction creating a job's row also does: completes its upload and takes its first lease. */
  adoptUpload(jobId: string): (trx: Kysely<Database>) => Promise<void> {
    return async (trx) => {
      await this.files.adopt(trx, jobId);
      await this.#leaseStore.claimNew(trx, jobId, this.id, this.#leaseSec);
    };
  }

  /**
   * Stores the finished transcript, if this server still holds the job (checked in the store just
   * before: a server that was frozen past its lease finds the job taken and stops with LEASE_LOST).
   */
  async publishTranscript(jobId: string, rendered: string): Promise<void> {
    const [lease] = await this.#leaseStore.leases([jobId]);
    if (lease?.holder !== this.id) throw LEASE_LOST;
    await this.files.storeTranscript(jobId, rendered);
  }

  /** Whether this server holds the job's lease now. */
  holds(row: Pick<JobRow, 'lease_holder'>): boolean {
    return row.lease_holder === this.id;
  }

  /**
   * A cancel of a job another live server holds: that server is asked to stop it, and `waitForEnd`
   * waits up to 10 s for it to say so. False when no other live server holds the job (or it did not
   * answer: then the caller cancels it in the store itself).
   */
  async cancelElsewhere(jobId: string, waitForEnd: (signal: AbortSignal) => Promise<unknown>): Promise<boolean> {
    const [lease] = await this.#leaseStore.leases([jobId]);
    if (!lease?.live || lease.holder === null || lease.holder === this.id) return false;
    await this.notifier.requestCancel(jobId);
    return waitForEnd(AbortSignal.timeout(10_000)).then(() => true, () => false);
  }

  /** `keepUpload`: the upload stays for playback (serve.keepUploadHours; the blob sweep expires it). */
  async jobEnded(jobId: string, keepUpload = false): Promise<void> {
    await this.#leaseStore.endLease(jobId, this.id).catch(() => undefined);
    await this.files.dropJobBlobs(jobId, keepUpload).catch(() => undefined);
  }

  health(): LeaseHealth & { instance: string; notifications: 'connected' | 'reconnecting' } {
    return { instance: this.id, ...this.leases.health(), notifications: this.notifier.connected ? 'connected' : 'reconnecting' };
  }

  registerMetrics(registry: Registry, ownedJobs: () => number): void {
    const registers = [registry];
    const leases = this.leases;
    const store = this.#leaseStore;
    new Gauge({ name: 'parascribe_jobs_owned', help: 'Unfinished jobs whose lease this server holds (running or waiting for a slot here).', registers, collect() { this.set(ownedJobs()); } });
    new Gauge({
      name: 'parascribe_lease_heartbeat_age_seconds',
      help: "Seconds since this server's lease heartbeat last reached the store.",
      registers,
      collect() {
        this.set(leases.health().lastRenewAgeSec ?? Number.NaN);
      },
    });
    new Gauge({
      name: 'parascribe_api_servers_live',
      help: 'API servers whose heartbeat is current (read from the store at scrape time).',
      registers,
      async collect() {
        this.set(await store.liveInstances().then((rows) => rows.length, () => Number.NaN));
      },
    });
    this.#takeovers = new Counter({ name: 'parascribe_job_takeovers_total', help: 'Jobs this server took over from another whose lease had lapsed.', registers });
    this.#lapse = new Histogram({
      name: 'parascribe_job_takeover_lapse_seconds',
      help: "Seconds past the previous server's lease at which this server claimed the job.",
      buckets: [0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    });
  }

  /** Stops claiming, hands this server's unfinished jobs to the others, and stops listening. */
  async stop(): Promise<void> {
    await this.leases.stop();
    await this.notifier.close();
  }
}

/** What `attachCluster` uses of the service. */
export interface ClusteredService {
  readonly store: JobStore;
  readonly config: { serve: { maxConcurrentJobs: number } };
  readonly files: JobFiles;
  readonly scheduler: JobScheduler;
  readonly watch: JobWatch;
  readonly metrics: ServiceMetrics;
  cancel(owner: string, jobId: string): Promise<unknown>;
}

/** The cluster side of a service, wired to its scheduler, watch and metrics. */
export function attachCluster(service: ClusteredService, settings: ClusterSettings, log: (line: string) => void, onBlobBytes?: (bytes: number) => void): ServiceCluster {
  const { scheduler, watch } = service;
  const { maxConcurrentJobs } = service.config.serve;
  const host: ClusterHost = {
    // With its owner: a taken-over job counts against its key's running limit here (serve.maxRunningJobsPerKey).
    enqueue: (jobId, priority, owner) => scheduler.enqueue(jobId, priority, owner),
    abort: (jobId, reason) => void scheduler.cancel(jobId, reason),
    localJobs: () => scheduler.jobIds(),
    capacity: () => Math.max(0, maxConcurrentJobs - scheduler.running - scheduler.queued),
    wake: (jobId) => watch.notify(jobId, true),
    wakeAll: () => watch.wakeAll(),
    // Through the service's own cancel, so that a job still waiting here is marked cancelled too.
    cancel: (jobId) =>
      void service.store
        .getJob(jobId)
        .then((row) => (row?.owner && scheduler.has(jobId) ? service.cancel(row.owner, jobId) : undefined))
        .catch((error: unknown) => log(`job ${jobId}: cancel asked by another server failed: ${(error as Error).message}`)),
  };
  const cluster = new ServiceCluster(service.files, settings, host, log, onBlobBytes);
  cluster.registerMetrics(service.metrics.registry, () => scheduler.running + scheduler.queued);
  return cluster;
}
