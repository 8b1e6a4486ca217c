/**
 * This server's side of job ownership (store/cluster.ts holds the SQL): a heartbeat every leaseSec/3
 * renews the leases of the jobs it runs; a sweep every sweepSec claims jobs that have no live owner
 * (their server died, or stopped and released them) and hands them to the scheduler, which resumes
 * them from their stored segments; a job of ours that the heartbeat finds held by another server
 * (this one was frozen past its lease) is stopped here without touching its row.
 */
import type { BlobStore } from '../../store/blobs.js';
import type { ClaimedJob, ClusterStore, InstanceInfo } from '../../store/cluster.js';

export interface LeaseKeeperOptions {
  store: ClusterStore;
  blobs: BlobStore;
  instance: () => InstanceInfo;
  leaseSec: number;
  sweepSec: number;
  /** Seconds an ended job's upload is kept for playback (serve.keepUploadHours; the blob sweep expires it). */
  keepUploadSec?: number;
  /** Jobs this server runs or has waiting now. */
  localJobs: () => string[];
  /** How many more jobs this server would start now. */
  capacity: () => number;
  /** Claimed jobs (at start: ours from before, then unowned ones; later: taken over). */
  onClaimed: (jobs: ClaimedJob[]) => void;
  /** A job another server holds now: stop running it, write nothing. */
  onLost: (jobId: string) => void;
  log: (line: string) => void;
}

export interface LeaseHealth {
  ok: boolean;
  /** Seconds since the last heartbeat that reached the store (null: none yet). */
  lastRenewAgeSec: number | null;
  leaseSec: number;
  failures: number;
}

export class LeaseKeeper {
  #lastRenewMs: number | undefined;
  #failures = 0;
  #timers: NodeJS.Timeout[] = [];
  #busy = { heartbeat: false, sweep: false };
  #sweeps = 0;
  #stopped = false;
  /** Jobs taken over from another server, and seconds past their lease when claimed. */
  readonly takeovers: Array<{ jobId: string; from: string; lapsedSec: number }> = [];

  constructor(private readonly options: LeaseKeeperOptions) {}

  /**
   * Registers the instance and claims what it may resume: jobs held under its own id (an earlier
   * process on this data directory), then jobs with no live owner. Jobs another live server holds are left alone.
   */
  async start(): Promise<{ own: ClaimedJob[]; unowned: ClaimedJob[]; orphanBlobs: number }> {
    const { store, blobs, leaseSec } = this.options;
    const instance = this.options.instance();
    await store.register(instance, leaseSec);
    this.#lastRenewMs = Date.now();
    // Uploads an earlier process under this id was writing will never be completed.
    const orphanBlobs = await blobs.removeUnfinishedBy(instance.id);
    const own = await store.claimOwn(instance.id, leaseSec);
    if (own.length > 0) this.options.onClaimed(own);
    const unowned = await this.#claim();
    this.#timers.push(setInterval(() => void this.heartbeat(), (leaseSec * 1000) / 3));
    this.#schedule();
    return { own, unowned, orphanBlobs };
  }

  /** Renews every lease this server holds, and stops the jobs it finds held by another. */
  async heartbeat(): Promise<void> {
    if (this.#busy.heartbeat || this.#stopped) return;
    this.#busy.heartbeat = true;
    const { store, leaseSec } = this.options;
    const instance = this.options.instance();
    try {
      // Only jobs that were ours before the renewal started can be missing from it.
      const before = this.options.localJobs();
      const renewed = new Set(await store.heartbeat(instance, leaseSec));
      this.#lastRenewMs = Date.now();
      if (this.#failures > 0) this.options.log(`lease heartbeat reaches the store again after ${this.#failures} failure(s)`);
      this.#failures = 0;
      const missing = before.filter((id) => !renewed.has(id));
      for (const lease of await store.leases(missing)) {
        if (lease.holder !== instance.id && (lease.status === 'queued' || lease.status === 'running')) {
          this.options.log(`job ${lease.id}: its lease is held by ${lease.holder ?? 'nobody'} now; stopping it here`);
          this.options.onLost(lease.id);
        }
      }
    } catch (error) {
      if (this.#failures++ === 0) this.options.log(`lease heartbeat failed (${(error as Error).message}); retrying every ${(leaseSec / 3).toFixed(1)} s`);
    } finally {
      this.#busy.heartbeat = false;
    }
  }

  /** One takeover sweep (also run on a timer): claims unowned jobs up to this server's capacity. */
  async sweep(): Promise<ClaimedJob[]> {
    if (this.#busy.sweep || this.#stopped) return [];
    this.#busy.sweep = true;
    try {
      const claimed = await this.#claim();
      // Orphaned blobs and long-dead instances are a slower matter: every 10th sweep.
      if (this.#sweeps++ % 10 === 0) {
        const swept = await this.options.blobs.sweep(this.options.keepUploadSec ?? 0);
        if (swept.orphans > 0) this.options.log(`removed ${swept.orphans} unfinished upload(s) whose server is gone`);
        await this.options.store.pruneInstances();
      }
      return claimed;
    } catch (error) {
      this.options.log(`takeover sweep failed: ${(error as Error).message}`);
      return [];
    } finally {
      this.#busy.sweep = false;
    }
  }

  async #claim(): Promise<ClaimedJob[]> {
    const { store, leaseSec } = this.options;
    const me = this.options.instance().id;
    const claimed = await store.claimLapsed(me, leaseSec, this.options.capacity());
    for (const job of claimed) {
      if (job.previousHolder && job.previousHolder !== me) {
        this.takeovers.push({ jobId: job.id, from: job.previousHolder, lapsedSec: job.lapsedSec ?? 0 });
        if (this.takeovers.length > 1000) this.takeovers.shift();
        this.options.log(`job ${job.id}: taken over from ${job.previousHolder} (lease lapsed ${(job.lapsedSec ?? 0).toFixed(1)} s ago)`);
      }
    }
    if (claimed.length > 0) this.options.onClaimed(claimed);
    return claimed;
  }

  /** The next sweep after sweepSec ± 20 % (servers started together do not sweep in step). */
  #schedule(): void {
    if (this.#stopped) return;
    const ms = this.options.sweepSec * 1000 * (0.8 + Math.random() * 0.4);
    const timer = setTimeout(() => {
      this.#timers = this.#timers.filter((t) => t !== timer);
      void this.sweep().finally(() => this.#schedule());
    }, ms);
    this.#timers.push(timer);
  }

  health(): LeaseHealth {
    const age = this.#lastRenewMs === undefined ? null : (Date.now() - this.#lastRenewMs) / 1000;
    // Past the lease, another server may have taken this one's jobs: not ready for more.
    return { ok: age !== null && age < this.options.leaseSec, lastRenewAgeSec: age, leaseSec: this.options.leaseSec, failures: this.#failures };
  }

  /** Stops the timers and hands every unfinished job this server holds to the others at once. */
  async stop(): Promise<string[]> {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers = [];
    return this.options.store.release(this.options.instance().id).catch(() => []);
  }
}
