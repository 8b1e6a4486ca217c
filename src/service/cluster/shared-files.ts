/**
 * A job's files on a store several API servers share: the upload is copied into the store once it
 * has been checked (and is complete there only with its job row: `adopt`), a server that runs a job
 * it did not receive (a takeover) fetches the upload to its own disk first, and the finished
 * transcript is put in the store before the row says completed, so any server can serve it.
 * The server's disk (`JobFiles`) stays the working copy; the store is what survives the server.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { access, rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import type { BlobStore } from '../../store/blobs.js';
import { blobId } from '../../store/blobs.js';
import type { Database } from '../../store/schema.js';
import type { JobFiles } from '../uploads.js';

export class SharedFiles {
  constructor(
    private readonly blobs: BlobStore,
    private readonly files: JobFiles,
    private readonly instanceId: string,
    /** Bytes stored so far of an upload being copied (crash points in tests). */
    private readonly onBlobBytes?: (bytes: number) => void,
  ) {}

  /** Copies the job's checked upload into the store, unfinished until `adopt` (a failure removes it). */
  async publishUpload(jobId: string, signal?: AbortSignal): Promise<number> {
    const id = blobId.upload(jobId);
    try {
      return await this.blobs.write(id, { kind: 'upload', jobId, writer: this.instanceId }, createReadStream(this.files.input(jobId)), {
        ...(this.onBlobBytes ? { onBytes: this.onBlobBytes } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      await this.blobs.remove(id).catch(() => undefined);
      throw error;
    }
  }

  /** Completes the upload inside the transaction that creates its job row. */
  async adopt(trx: Kysely<Database>, jobId: string): Promise<void> {
    await this.blobs.complete(blobId.upload(jobId), trx);
  }

  async discardUpload(jobId: string): Promise<void> {
    await this.blobs.remove(blobId.upload(jobId)).catch(() => undefined);
  }

  /**
   * Makes sure the job's upload is on this server's disk, fetching it from the store when another
   * server received it. False when neither holds it.
   */
  async ensureInput(jobId: string, signal?: AbortSignal): Promise<boolean> {
    const input = this.files.input(jobId);
    if (await access(input).then(() => true, () => false)) return true;
    const id = blobId.upload(jobId);
    if ((await this.blobs.info(id))?.state !== 'complete') return false;
    await this.files.create(jobId);
    const partial = this.files.partial(jobId);
    try {
      await pipeline(Readable.from(this.blobs.read(id)), createWriteStream(partial), ...(signal ? [{ signal }] : []));
      await rename(partial, input);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return true;
  }

  async storeTranscript(jobId: string, rendered: string): Promise<void> {
    await this.blobs.write(blobId.transcript(jobId), { kind: 'transcript', jobId, writer: null }, [Buffer.from(rendered, 'utf8')], { complete: true });
  }

  async readTranscript(jobId: string): Promise<string | undefined> {
    return (await this.blobs.readAll(blobId.transcript(jobId)))?.toString('utf8');
  }

  /**
   * A job that ended needs its segments' audio no more, nor its upload unless kept for playback
   * (`keepUpload`: the blob sweep expires it with serve.keepUploadHours). The transcript stays.
   */
  async dropJobBlobs(jobId: string, keepUpload = false): Promise<void> {
    await this.blobs.removeForJob(jobId, keepUpload ? ['segment'] : ['upload', 'segment']);
  }

  /** A purged job: every blob of it, its transcript included. */
  async dropAll(jobId: string): Promise<void> {
    await this.blobs.removeForJob(jobId, ['upload', 'segment', 'transcript']);
  }
}
