/**
 * What a job holds for its owner once it has run (TranscriptionService delegates here): its kept upload,
 * waveform peaks and transcript, read from this server's disk or, on a shared store, from the copy
 * another server published (service/cluster/); and what `ask` needs to question the transcript.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { AskDeps } from '../ask/ask.js';
import { ParascribeError } from '../errors.js';
import type { OutputDocument } from '../outputs/document.js';
import { fromJsonTranscript, type JsonTranscript } from '../outputs/json.js';
import type { JobRow } from '../store/jobs.js';
import type { ServiceCluster } from './cluster/index.js';
import { jobAudio, type PeaksSource, type PeaksView } from './job-media.js';
import type { JobWatch } from './job-watch.js';
import type { ServiceRuntime } from './run-service-job.js';
import type { JobFiles } from './uploads.js';
import { TERMINAL_STATUSES } from './views.js';

/** Where a job's files are: this server's disk, and the shared store when there is one. */
export interface ContentSource {
  files: JobFiles;
  peaks: PeaksSource;
  cluster: ServiceCluster | undefined;
}

/**
 * The job's kept upload on this server's disk, and its content type (AUDIO_GONE once deleted). On a
 * shared store, a job another server received is fetched from the store first.
 */
export async function sharedJobAudio(source: ContentSource, row: JobRow): Promise<{ path: string; contentType: string }> {
  await source.cluster?.files.ensureInput(row.id).catch(() => false);
  return jobAudio(source.files, row);
}

/** The job's waveform peaks (a finished job another server decoded: computed here from its kept upload). */
export async function sharedJobPeaks(source: ContentSource, row: JobRow, points: number): Promise<PeaksView> {
  const { cluster, files } = source;
  if (cluster && TERMINAL_STATUSES.has(row.status) && !existsSync(files.peaks(row.id))) await cluster.files.ensureInput(row.id).catch(() => false);
  return source.peaks.view(row, points);
}

/** The finished transcript as an output document; JOB_NOT_FOUND-like errors for unfinished jobs. */
export async function jobDocument(source: ContentSource, row: JobRow): Promise<OutputDocument> {
  if (row.status !== 'completed') {
    throw new ParascribeError('NOT_READY', `job ${row.id} is ${row.status}; the transcript exists once it has completed`);
  }
  // The server that ran the job has it on disk; any other reads the copy in the shared store.
  const text = await readFile(source.files.transcript(row.id), 'utf8').catch(async (error: unknown) => (await source.cluster?.files.readTranscript(row.id)) ?? Promise.reject(error));
  const json = JSON.parse(text) as JsonTranscript;
  const { transcript, job, telemetry } = fromJsonTranscript(json);
  return { job: { ...job, source: row.source_name ?? job.id }, transcript, ...(telemetry ? { telemetry } : {}) };
}

/** What `ask` uses of the service: its store and cache, the chat client, and JobWatch to wait on jobs. */
export function serviceAskDeps(runtime: ServiceRuntime, watch: JobWatch, document: (job: JobRow) => Promise<OutputDocument>): AskDeps {
  return {
    store: runtime.store,
    cache: runtime.cache,
    llm: () => runtime.llm(),
    config: runtime.config.llm,
    wait: (jobId, timeoutMs, signal) => watch.wait(jobId, timeoutMs, signal),
    fallbackTranscript: async (job) => (await document(job).catch(() => undefined))?.transcript,
  };
}
