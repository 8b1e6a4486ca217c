/**
 * The transcription service behind `parascribe serve`, independent of HTTP: accepts jobs (their
 * upload already on disk), runs them through the scheduler, answers queries scoped to the caller
 * (another owner's job is "not found"), cancels, and resumes unfinished jobs when it starts.
 */
import { askJob, checkQuestion, type AskDeps, type AskInput, type AskResult } from '../ask/ask.js';
import type { Config } from '../config/schema.js';
import { ParascribeError } from '../errors.js';
import type { OutputDocument } from '../outputs/document.js';
import type { JobStage } from '../pipeline/events.js';
import { resolveChain } from '../pipeline/job.js';
import { newJobId, type JobRow, type JobStore } from '../store/jobs.js';
import type { SearchPage } from '../store/search.js';
import type { QuestionRow } from '../store/questions.js';
import type { JobStatus } from '../store/schema.js';
import { attachCluster, type ServiceCluster } from './cluster/index.js';
import { configForJob, type JobOptions } from './job-options.js';
import { JobWatch } from './job-watch.js';
import { ViewCache } from './view-cache.js';
import { ServiceMetrics } from './metrics.js';
import { runServiceJob, SHUTDOWN, type ServiceHooks, type ServiceRuntime, type ServiceJobContext } from './run-service-job.js';
import { JobScheduler } from './scheduler.js';
import { assertJobId, JobFiles } from './uploads.js';
import { jobProgress, jobView, TERMINAL_STATUSES } from './views.js';
import { PeaksSource, type PeaksView } from './job-media.js';
import { hourlyStats } from './stats.js';
import type { Priority } from '../core/types.js';
import { acceptJob, admitJob } from './accept.js';
import { cancelJob, waitForJobEnd } from './job-end.js';
import { jobDocument, serviceAskDeps, sharedJobAudio, sharedJobPeaks } from './job-content.js';

export { QUEUE_RETRY_AFTER_SEC } from './accept.js';

export interface ServiceDeps {
  runtime: ServiceRuntime;
  hooks?: ServiceHooks;
  log?: (line: string) => void;
}

export type JobView = ReturnType<typeof jobView>;

export class TranscriptionService {
  readonly #views = new ViewCache<{ view: JobView; json: string }>();
  readonly watch = new JobWatch((jobId, remote) => {
    this.#views.invalidate(jobId);
    if (!remote) this.cluster?.published(jobId, this.#stages.get(jobId) ?? null);
  });
  readonly files: JobFiles;
  /** Waveform peaks of the caller's jobs (job-media.ts). */
  readonly peaks: PeaksSource;
  /** Several API servers share this store (runtime.cluster): leases, notifications, shared files. */
  readonly cluster: ServiceCluster | undefined;
  readonly metrics: ServiceMetrics;
  readonly scheduler: JobScheduler;
  readonly #stages = new Map<string, JobStage>();
  readonly #background = new Set<Promise<unknown>>();
  readonly #ctx: ServiceJobContext;
  #publicUrl = 'http://localhost';
  #expiry: NodeJS.Timeout | undefined;

  constructor(private readonly deps: ServiceDeps) {
    const log = deps.log ?? (() => {});
    const { runtime } = deps;
    this.files = new JobFiles(runtime.config.dataDir);
    this.peaks = new PeaksSource(this.files);
    this.scheduler = new JobScheduler(
      runtime.config.serve.maxConcurrentJobs,
      (jobId, signal) => runServiceJob(jobId, signal, this.#ctx),
      (jobId, error) => log(`job ${jobId}: ${(error as Error).message}`),
      runtime.config.serve.maxRunningJobsPerKey,
    );
    this.metrics = new ServiceMetrics({
      store: runtime.store,
      breakers: runtime.breakers,
      load: runtime.load,
      backendIds: () => runtime.backends.ids(),
      queuedJobs: () => this.scheduler.queued,
      runningJobs: () => this.scheduler.running,
      ...(runtime.queueStats ? { queues: runtime.queueStats } : {}),
    });
    this.cluster = runtime.cluster ? attachCluster(this, runtime.cluster, log, deps.hooks?.onBlobBytes) : undefined;
    this.#ctx = {
      runtime,
      // The runtime's current config: a reload (SIGHUP) applies to the jobs started after it.
      get config() {
        return runtime.config;
      },
      files: this.files,
      watch: this.watch,
      metrics: this.metrics,
      stages: this.#stages,
      hooks: deps.hooks ?? {},
      cluster: this.cluster,
      publicUrl: () => this.#publicUrl,
      log,
      track: (work) => {
        this.#background.add(work);
        void work.finally(() => this.#background.delete(work));
      },
    };
  }

  get config(): Config {
    return this.deps.runtime.config;
  }

  get store(): JobStore {
    return this.deps.runtime.store;
  }

  get hooks(): ServiceHooks {
    return this.#ctx.hooks;
  }

  /** Breaker state of every backend this process has used. */
  readonly metricsSources = {
    breakerStates: (): Record<string, string> => Object.fromEntries(this.deps.runtime.backends.ids().map((id) => [id, this.deps.runtime.breakers.get(id).state])),
  };

  setPublicUrl(url: string): void {
    this.#publicUrl = url.replace(/\/$/, '');
    this.cluster?.setUrl(this.#publicUrl);
  }

  /**
   * Sweeps orphaned uploads and resumes every job that was queued or running when the last process died.
   * `owner`: only that owner's jobs, and no sweep — for a process that may run beside `parascribe serve`
   * on the same data dir (`parascribe mcp`), which must neither take over the server's jobs nor delete
   * an upload the server is receiving (nor expire kept uploads: the server does).
   */
  async start(options: { owner?: string } = {}): Promise<{ resumed: string[]; orphans: number; takenOver?: string[] }> {
    const keepSec = this.config.serve.keepUploadHours * 3600;
    const { orphans } = options.owner === undefined ? await this.files.sweep(this.deps.runtime.store, keepSec) : { orphans: 0 };
    if (keepSec > 0 && options.owner === undefined) {
      // Kept uploads expire while the server runs, too (checked every quarter of the retention, at most hourly).
      this.#expiry = setInterval(() => void this.files.expireInputs(this.deps.runtime.store, keepSec).catch(() => undefined), Math.min(3_600, keepSec / 4) * 1000);
      this.#expiry.unref();
    }
    // Leased: only jobs with no live owner (or this server's own, from before a restart) resume here.
    if (this.cluster) return this.cluster.start(orphans);
    const unfinished = (await this.deps.runtime.store.listUnfinishedServiceJobs()).filter((job) => options.owner === undefined || job.owner === options.owner);
    for (const job of unfinished) this.scheduler.enqueue(job.id, job.priority as Priority, job.owner ?? '');
    return { resumed: unfinished.map((j) => j.id), orphans };
  }

  async stop(): Promise<void> {
    clearInterval(this.#expiry);
    await this.scheduler.stop(true, SHUTDOWN);
    // Its unfinished jobs are free for the other servers at once, not after the lease.
    await this.cluster?.stop();
    // Jobs aborted by the stop return to 'queued' inside their run; webhooks get a moment to finish.
    await Promise.race([Promise.allSettled([...this.#background]), new Promise((r) => setTimeout(r, 5_000).unref())]);
  }

  /** Backpressure per API key (accept.ts): QUEUE_FULL while `owner` has too many jobs waiting to start. */
  admit(owner: string): void {
    admitJob(this.config, this.scheduler, owner);
  }

  /** A fresh job id and its (empty) directory, for an upload about to stream in. */
  async reserveJob(): Promise<string> {
    const jobId = newJobId();
    await this.files.create(jobId);
    return jobId;
  }

  /** Validates options before the body is read, so a bad request costs no upload. */
  checkOptions(options: JobOptions): void {
    resolveChain(configForJob(this.deps.runtime.config, options), this.deps.runtime.backends);
  }

  /**
   * The upload is complete in `files.partial(jobId)`: check it is audio, record the job, queue it
   * (accept.ts). Only after this resolves does the caller answer 202, so an accepted job survives a crash.
   */
  async accept(jobId: string, owner: string, sourceName: string | null, options: JobOptions, signal?: AbortSignal): Promise<JobRow> {
    const { files, cluster, metrics, scheduler } = this;
    return acceptJob({ runtime: this.deps.runtime, files, cluster, metrics, scheduler }, jobId, owner, sourceName, options, signal);
  }

  /** The caller's job; any other owner's job, or a malformed id, is JOB_NOT_FOUND. */
  async get(owner: string, jobId: string): Promise<JobRow> {
    assertJobId(jobId);
    const row = await this.deps.runtime.store.getJob(jobId);
    if (!row || row.owner !== owner) throw new ParascribeError('JOB_NOT_FOUND', `no job ${jobId}`);
    return row;
  }

  /** The caller's job as the API shows it, as JSON text (what `GET /v1/jobs/:id` sends): polled often, so from a short-lived cache. */
  async viewJsonOf(owner: string, jobId: string): Promise<string> {
    return (await this.#cachedView(owner, jobId)).json;
  }

  /** The cached JSON only: no store read, undefined when absent, stale or another owner's. */
  freshViewJson(owner: string, jobId: string): string | undefined {
    const cached = this.#views.get(jobId);
    return cached && cached.owner === owner ? cached.view.json : undefined;
  }

  async #cachedView(owner: string, jobId: string): Promise<{ view: JobView; json: string }> {
    const cached = this.#views.get(jobId);
    if (cached && cached.owner === owner) return cached.view;
    const view = await this.view(await this.get(owner, jobId));
    const entry = { view, json: JSON.stringify(view) };
    this.#views.set(jobId, owner, entry);
    return entry;
  }

  async list(owner: string, limit: number, before?: string, statuses?: readonly JobStatus[]): Promise<JobRow[]> {
    return this.deps.runtime.store.listOwnerJobs(owner, limit, before, statuses);
  }

  /** The caller's transcripts searched: ranked finished segments of their own jobs, running ones included. */
  async search(owner: string, q: string, options: { limit: number; offset: number }): Promise<SearchPage> {
    return this.deps.runtime.store.search.search(q, { owner, ...options });
  }

  /** Jobs per hour (one owner's, or all) and the server's queues: the dashboard's part beside /v1/stats (stats.ts). */
  async hourlyStats(owner: string | undefined, hours: number): Promise<Awaited<ReturnType<typeof hourlyStats>>> {
    const { runtime } = this.deps;
    return hourlyStats({ store: runtime.store, queuedJobs: () => this.scheduler.queued, runningJobs: () => this.scheduler.running, queues: runtime.queueStats }, owner, hours);
  }

  async view(row: JobRow): Promise<JobView> {
    const finished = await this.deps.runtime.store.countFinishedSegments(row.id);
    return jobView(row, jobProgress(row, finished, this.stage(row)), { baseUrl: this.#publicUrl, dataDir: this.deps.runtime.config.dataDir });
  }

  /** What the job is doing now: the pipeline's stage while it runs, 'queued' while it waits. */
  stage(row: Pick<JobRow, 'id' | 'status'>): JobStage | 'queued' | null {
    const remote = row.status === 'running' ? (this.cluster?.remoteStage(row.id) as JobStage | undefined) : undefined;
    return this.#stages.get(row.id) ?? remote ?? (row.status === 'queued' ? 'queued' : null);
  }

  /** Cancels a queued or running job (job-end.ts); a finished job is returned unchanged. */
  async cancel(owner: string, jobId: string): Promise<JobRow> {
    return cancelJob(this.#ctx, this.scheduler, await this.get(owner, jobId));
  }

  /** Deletes a finished job of the caller's for good: its row, segments, questions, upload and transcript. */
  async purge(owner: string, jobId: string): Promise<void> {
    const row = await this.get(owner, jobId);
    if (!TERMINAL_STATUSES.has(row.status)) throw new ParascribeError('NOT_READY', `job ${row.id} is ${row.status}: cancel it before deleting it`);
    await this.deps.runtime.store.deleteJob(row.id);
    this.#views.invalidate(row.id);
    await this.files.remove(row.id);
    await this.cluster?.files.dropAll(row.id);
  }

  /** The job's kept upload and its content type, fetched from a shared store when another server has it (job-content.ts). */
  async audio(row: JobRow): Promise<{ path: string; contentType: string }> {
    return sharedJobAudio(this, row);
  }

  /** The job's waveform peaks (job-content.ts). */
  async peaksOf(row: JobRow, points: number): Promise<PeaksView> {
    return sharedJobPeaks(this, row, points);
  }

  /** The finished transcript as an output document; NOT_READY for unfinished jobs (job-content.ts). */
  async document(row: JobRow): Promise<OutputDocument> {
    return jobDocument(this, row);
  }

  /** What `ask` uses of this service (job-content.ts). */
  get askDeps(): AskDeps {
    return serviceAskDeps(this.deps.runtime, this.watch, (job) => this.document(job));
  }

  /**
   * What can be refused before an answer starts streaming (so the API answers it with a status, not an
   * SSE error event): another owner's job, an empty question, no LLM configured.
   */
  async checkAsk(owner: string, jobId: string, question: string): Promise<JobRow> {
    const job = await this.get(owner, jobId);
    checkQuestion(question);
    this.deps.runtime.llm();
    return job;
  }

  /** Asks the caller's job a question (src/ask/ask.ts): the answer streams to `onDelta`, and is stored with the job. */
  async ask(owner: string, jobId: string, input: Omit<AskInput, 'job'>): Promise<AskResult> {
    const job = await this.get(owner, jobId);
    return askJob(this.askDeps, { ...input, job });
  }

  /** The questions asked of the caller's job, oldest first. */
  async questions(owner: string, jobId: string): Promise<QuestionRow[]> {
    const job = await this.get(owner, jobId);
    return this.deps.runtime.store.questions.list(job.id);
  }

  /** Waits until the job has a final status, or the signal aborts (job-end.ts). */
  async waitForEnd(jobId: string, signal?: AbortSignal): Promise<JobRow> {
    return waitForJobEnd(this.deps.runtime.store, this.watch, jobId, signal);
  }
}

