/**
 * Bytes every API server can read, in the shared store: a job's upload, its finished transcript, and
 * the audio of segments on the queue (so a worker's segment URL works on any server). Chunked bytea:
 * one header row (`blobs`) and fixed-size chunks (`blob_chunks`, 1 MiB each), so a write holds one
 * chunk in memory, a range read touches only the chunks it needs, and deleting the header deletes
 * the chunks (ON DELETE CASCADE). Why not large objects: they live outside the rows (no cascade, an
 * orphan needs vacuumlo), and reading one needs a transaction held open across the whole stream.
 *
 * A blob is written in state 'writing' and becomes 'complete' only afterwards; an upload's becomes
 * complete in the transaction that creates its job row (service/cluster/shared-files.ts), so an
 * upload cut mid-way leaves an unfinished blob and no job, and `sweep()` deletes it once its writer
 * is no longer a live server.
 */
import { type Kysely } from 'kysely';
import { nowSec } from '../core/time.js';
import type { Database } from './schema.js';
import { encodeTime, type TimeStorage } from './times.js';

export const BLOB_CHUNK_BYTES = 1 << 20;
/** An unfinished blob with no writer (never an orphan by its writer) is one after this long. */
const ORPHAN_AFTER_SEC = 3_600;

export type BlobKind = 'upload' | 'transcript' | 'segment';

export const blobId = {
  upload: (jobId: string) => `upload:${jobId}`,
  transcript: (jobId: string) => `transcript:${jobId}`,
  segment: (jobId: string, index: number) => `segment:${jobId}:${index}`,
};

export interface BlobMeta {
  kind: BlobKind;
  jobId: string | null;
  /** The instance writing it; null: nobody in particular (never an orphan by writer; unfinished for an hour, one by age). */
  writer: string | null;
}

export interface BlobInfo {
  state: 'writing' | 'complete';
  sizeBytes: number;
  chunkBytes: number;
}

export interface BlobWriteOptions {
  /** Mark it complete at once (default false: the caller completes it, e.g. in a transaction). */
  complete?: boolean;
  /** Bytes stored so far, after each chunk (crash points in tests). */
  onBytes?: (bytes: number) => void;
  signal?: AbortSignal;
}

export class BlobStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly times: TimeStorage,
  ) {}

  #now(): number | Date {
    return encodeTime(this.times, nowSec());
  }

  /** Writes `source` as blob `id` (an earlier blob of that id is replaced); returns its size in bytes. */
  async write(id: string, meta: BlobMeta, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: BlobWriteOptions = {}): Promise<number> {
    await this.remove(id);
    await this.db
      .insertInto('blobs')
      .values({ id, kind: meta.kind, job_id: meta.jobId, state: 'writing', size_bytes: 0, chunk_bytes: BLOB_CHUNK_BYTES, writer: meta.writer, created_at: this.#now(), completed_at: null })
      .execute();
    let seq = 0;
    let size = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (final: boolean) => {
      while (pendingBytes >= BLOB_CHUNK_BYTES || (final && pendingBytes > 0)) {
        const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
        const data = all.subarray(0, Math.min(BLOB_CHUNK_BYTES, all.length));
        await this.db.insertInto('blob_chunks').values({ blob_id: id, seq: seq++, data }).execute();
        size += data.length;
        const rest = all.subarray(data.length);
        pending = rest.length > 0 ? [rest] : [];
        pendingBytes = rest.length;
        options.onBytes?.(size);
      }
    };
    for await (const piece of source) {
      options.signal?.throwIfAborted();
      const buffer = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
      pending.push(buffer);
      pendingBytes += buffer.length;
      if (pendingBytes >= BLOB_CHUNK_BYTES) await flush(false);
    }
    await flush(true);
    const done = await this.db
      .updateTable('blobs')
      .set({ size_bytes: size, ...(options.complete ? { state: 'complete', completed_at: this.#now() } : {}) })
      .where('id', '=', id)
      .executeTakeFirst();
    // Removed while written (a purge, or a sweep that took it for an orphan): the caller must know.
    if (Number(done.numUpdatedRows) === 0) throw new Error(`blob ${id} was removed while it was written`);
    return size;
  }

  /** Marks a written blob complete, on `db` (a transaction of the caller's) or the store's connection. */
  async complete(id: string, db: Kysely<Database> = this.db): Promise<void> {
    await db.updateTable('blobs').set({ state: 'complete', completed_at: this.#now() }).where('id', '=', id).execute();
  }

  async info(id: string): Promise<BlobInfo | undefined> {
    const row = await this.db.selectFrom('blobs').select(['state', 'size_bytes', 'chunk_bytes']).where('id', '=', id).executeTakeFirst();
    return row ? { state: row.state as BlobInfo['state'], sizeBytes: Number(row.size_bytes), chunkBytes: row.chunk_bytes } : undefined;
  }

  /** Bytes [start, end) of a complete blob, one chunk per query; nothing when it is absent or unfinished. */
  async *read(id: string, start = 0, end?: number): AsyncGenerator<Buffer> {
    const info = await this.info(id);
    if (!info || info.state !== 'complete') return;
    const stop = Math.min(end ?? info.sizeBytes, info.sizeBytes);
    const size = info.chunkBytes;
    for (let seq = Math.floor(start / size); seq * size < stop; seq++) {
      const row = await this.db.selectFrom('blob_chunks').select('data').where('blob_id', '=', id).where('seq', '=', seq).executeTakeFirst();
      if (!row) throw new Error(`blob ${id}: chunk ${seq} is missing`);
      const data = Buffer.from(row.data);
      const from = Math.max(0, start - seq * size);
      const to = Math.min(data.length, stop - seq * size);
      if (to > from) yield data.subarray(from, to);
    }
  }

  /** A whole complete blob in memory (small ones: a transcript), or undefined. */
  async readAll(id: string): Promise<Buffer | undefined> {
    if ((await this.info(id))?.state !== 'complete') return undefined;
    const parts: Buffer[] = [];
    for await (const part of this.read(id)) parts.push(part);
    return Buffer.concat(parts);
  }

  async remove(id: string): Promise<void> {
    await this.db.deleteFrom('blobs').where('id', '=', id).execute();
  }

  async removeForJob(jobId: string, kinds: readonly BlobKind[]): Promise<number> {
    const result = await this.db.deleteFrom('blobs').where('job_id', '=', jobId).where('kind', 'in', [...kinds]).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Unfinished blobs this writer left (an earlier process under the same instance id): never to be completed. */
  async removeUnfinishedBy(writer: string): Promise<number> {
    const result = await this.db.deleteFrom('blobs').where('writer', '=', writer).where('state', '=', 'writing').executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /**
   * Deletes orphans: unfinished blobs whose writer is no live server (an upload cut by a crash) or that
   * have no writer and are an hour old; the segment audio of jobs that have ended or do not exist; and
   * their uploads once `keepUploadSec` has passed since the end (kept for playback,
   * serve.keepUploadHours). Transcripts stay.
   */
  async sweep(keepUploadSec = 0): Promise<{ orphans: number; ended: number }> {
    const now = this.#now();
    const orphans = await this.db
      .deleteFrom('blobs')
      .where('state', '=', 'writing')
      .where((eb) =>
        eb.or([
          // Nobody's in particular (segment audio, a transcript): written in one go, so unfinished for an hour is dead.
          eb.and([eb('writer', 'is', null), eb('created_at', '<', encodeTime(this.times, nowSec() - ORPHAN_AFTER_SEC) as number)]),
          eb('writer', 'not in', eb.selectFrom('service_instances').select('id').where('lease_until', '>', now as number)),
        ]),
      )
      .executeTakeFirst();
    const keptSince = encodeTime(this.times, nowSec() - keepUploadSec) as number;
    const ended = await this.db
      .deleteFrom('blobs')
      .where('state', '=', 'complete')
      .where((eb) =>
        eb.or([
          eb.and([eb('kind', '=', 'segment'), eb.not(eb.exists(eb.selectFrom('transcription_jobs as j').select('j.id').whereRef('j.id', '=', 'blobs.job_id').where('j.status', 'in', ['queued', 'running'])))]),
          eb.and([
            eb('kind', '=', 'upload'),
            eb.not(
              eb.exists(
                eb
                  .selectFrom('transcription_jobs as j')
                  .select('j.id')
                  .whereRef('j.id', '=', 'blobs.job_id')
                  .where((j) => j.or([j('j.status', 'in', ['queued', 'running']), j(j.fn.coalesce('j.completed_at', 'j.created_at'), '>', keptSince)])),
              ),
            ),
          ]),
        ]),
      )
      .executeTakeFirst();
    return { orphans: Number(orphans.numDeletedRows), ended: Number(ended.numDeletedRows) };
  }

  /** Blob rows by kind and state (tests, diagnostics). */
  async census(): Promise<Array<{ kind: string; state: string; count: number; bytes: number }>> {
    const rows = await this.db
      .selectFrom('blobs')
      .select(['kind', 'state', (eb) => eb.fn.countAll<number>().as('count'), (eb) => eb.fn.sum<number>('size_bytes').as('bytes')])
      .groupBy(['kind', 'state'])
      .execute();
    return rows.map((r) => ({ kind: r.kind, state: r.state, count: Number(r.count), bytes: Number(r.bytes ?? 0) }));
  }
}
