/**
 * Getting a job's audio onto disk from somewhere other than a request body: a server-side URL download
 * (SSRF checks in ingest-url/) or a local file (the MCP server's path inputs, already confined to its
 * roots by src/mcp/roots.ts). Either way the bytes land in a freshly reserved job's `input.part`, as an
 * upload's do, and any failure removes the job's directory, so a refused request leaves nothing behind.
 * `TranscriptionService.accept` then checks the file and records the job.
 */
import { constants, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ParascribeError } from '../errors.js';
import { downloadUrlToFile } from './ingest-url/index.js';
import type { TranscriptionService } from './service.js';

const MB = 1024 * 1024;

/** Downloads `url` into a freshly reserved job directory; returns the job id and a display name. */
export async function downloadIntoJob(service: TranscriptionService, url: string, signal: AbortSignal): Promise<{ jobId: string; name: string }> {
  const jobId = await service.reserveJob();
  const { url: policy } = service.config.serve;
  try {
    const downloaded = await downloadUrlToFile(url, service.files.partial(jobId), {
      maxBytes: policy.maxMb * MB,
      timeoutMs: policy.timeoutSec * 1000,
      allow: policy.allow,
      signal,
    });
    return { jobId, name: downloaded.filename ?? new URL(downloaded.finalUrl).hostname };
  } catch (error) {
    await service.files.remove(jobId);
    throw error;
  }
}

/**
 * Copies a local file (a resolved path with no symbolic link left in it) into a freshly reserved job
 * directory. The file is opened without following a link and without blocking (a FIFO would wait for
 * a writer), then must be a regular file no larger than an upload may be (`serve.maxUploadMb`).
 */
export async function copyFileIntoJob(service: TranscriptionService, realPath: string, signal: AbortSignal): Promise<{ jobId: string; name: string }> {
  const name = basename(realPath);
  const file = await open(realPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new ParascribeError('INPUT_NOT_FOUND', `no such file: ${JSON.stringify(name)}`);
    throw new ParascribeError('PATH_REFUSED', `cannot read ${JSON.stringify(name)} (${error.code ?? 'error'})`);
  });
  let jobId: string | undefined;
  try {
    const stat = await file.stat();
    if (!stat.isFile()) throw new ParascribeError('INVALID_ARGUMENT', `${JSON.stringify(name)} is not a regular file`);
    if (stat.size === 0) throw new ParascribeError('EMPTY_AUDIO', `${JSON.stringify(name)} is empty`);
    const maxBytes = service.config.serve.maxUploadMb * MB;
    if (stat.size > maxBytes) throw new ParascribeError('PAYLOAD_TOO_LARGE', `${JSON.stringify(name)} is larger than the limit of ${service.config.serve.maxUploadMb} MB (serve.maxUploadMb)`);
    jobId = await service.reserveJob();
    await pipeline(file.createReadStream({ autoClose: false }), createWriteStream(service.files.partial(jobId)), { signal });
    return { jobId, name };
  } catch (error) {
    if (jobId) await service.files.remove(jobId);
    throw error;
  } finally {
    await file.close().catch(() => undefined);
  }
}
