/**
 * Where a service job's files live: `<dataDir>/jobs/<id>/` holds the upload (`input`, kept for
 * `serve.keepUploadHours` after the job ends, for playback), the waveform peaks (`peaks.bin`, written
 * during the decode) and the finished transcript (`transcript.json`). An upload streams into `input.part`
 * and is renamed only once complete and checked, so a crash mid-upload leaves no job and, after the
 * startup sweep, no file.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { probeAudio, type AudioInfo } from '../audio/probe.js';
import { ParascribeError, toParascribeError } from '../errors.js';
import { nowSec } from '../core/time.js';
import type { JobRow, JobStore } from '../store/jobs.js';
import { clientMessage, uploadLabel } from './client-message.js';
import { TERMINAL_STATUSES } from './views.js';

export class JobFiles {
  constructor(private readonly dataDir: string) {}

  dir(jobId: string): string {
    // Job ids are generated here, never taken from a request path unchecked (see isJobId).
    return join(this.dataDir, 'jobs', jobId);
  }

  input(jobId: string): string {
    return join(this.dir(jobId), 'input');
  }

  partial(jobId: string): string {
    return join(this.dir(jobId), 'input.part');
  }

  transcript(jobId: string): string {
    return join(this.dir(jobId), 'transcript.json');
  }

  peaks(jobId: string): string {
    return join(this.dir(jobId), 'peaks.bin');
  }

  async create(jobId: string): Promise<void> {
    await mkdir(this.dir(jobId), { recursive: true });
  }

  /**
   * Checks that the finished upload is audio or video in an accepted container (ffprobe, not the
   * name) and passes `check` (the duration limit), then makes it the job's input. A refused upload
   * leaves nothing on disk, and its error names it as the client does (`sourceName`), never by path.
   */
  async accept(jobId: string, sourceName: string | null, check: (info: AudioInfo) => void, signal?: AbortSignal): Promise<{ durationSec: number | null }> {
    const partial = this.partial(jobId);
    try {
      const info = await probeAudio(partial, { signal });
      check(info);
      await rename(partial, this.input(jobId));
      return { durationSec: info.durationSec };
    } catch (error) {
      await this.remove(jobId);
      const e = toParascribeError(error);
      throw new ParascribeError(e.code, clientMessage(e.message, [{ path: partial, as: uploadLabel(sourceName) }]), e.details ? { details: e.details } : {});
    }
  }

  async remove(jobId: string): Promise<void> {
    await rm(this.dir(jobId), { recursive: true, force: true });
  }

  async removeInput(jobId: string): Promise<void> {
    await rm(this.input(jobId), { force: true });
  }

  /**
   * At startup: uploads that never became a job are deleted; finished jobs lose their input once it
   * is older than `keepInputSec` after their end (0: at once).
   */
  async sweep(store: JobStore, keepInputSec = 0): Promise<{ orphans: number; inputs: number }> {
    let names: string[];
    try {
      names = await readdir(join(this.dataDir, 'jobs'));
    } catch {
      return { orphans: 0, inputs: 0 };
    }
    let orphans = 0;
    let inputs = 0;
    for (const name of names) {
      const job = isJobId(name) ? await store.getJob(name) : undefined;
      if (!job) {
        await this.remove(name);
        orphans++;
      } else if (TERMINAL_STATUSES.has(job.status)) {
        await rm(this.partial(name), { force: true });
        if (inputExpired(job, keepInputSec)) {
          await this.removeInput(name);
          inputs++;
        }
      }
    }
    return { orphans, inputs };
  }

  /** While serving: finished jobs' inputs older than `keepInputSec` after their end are deleted. */
  async expireInputs(store: JobStore, keepInputSec: number): Promise<number> {
    const names = await readdir(join(this.dataDir, 'jobs')).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      if (!isJobId(name) || !existsSync(this.input(name))) continue;
      const job = await store.getJob(name);
      if (job && TERMINAL_STATUSES.has(job.status) && inputExpired(job, keepInputSec)) {
        await this.removeInput(name);
        removed++;
      }
    }
    return removed;
  }
}

function inputExpired(job: Pick<JobRow, 'completed_at' | 'created_at'>, keepInputSec: number): boolean {
  return keepInputSec <= 0 || (job.completed_at ?? job.created_at) + keepInputSec <= nowSec();
}

/** Job ids as newJobId makes them: anything else in a URL is a 404, never a path. */
export function isJobId(value: string): boolean {
  return /^j[0-9a-z]{6,20}$/.test(value);
}

export function assertJobId(value: string): void {
  if (!isJobId(value)) throw new ParascribeError('JOB_NOT_FOUND', `no job ${JSON.stringify(value.slice(0, 40))}`);
}
