/**
 * Job leases and blobs on a real PostgreSQL database (issue 17): a claim is atomic (two stores
 * sweeping at once split the jobs, never share one), a heartbeat renews only the holder's jobs, a
 * lapsed lease is taken over and counted, a stopping server releases; blobs round-trip in chunks,
 * read by range, complete only with their job row, and the sweep removes orphans and nothing else.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, postgresSkipReason, queryDatabase, type TestDatabase } from '../../test/helpers/postgres.js';
import { BLOB_CHUNK_BYTES, blobId } from './blobs.js';
import type { JobStore } from './jobs.js';
import { openStore } from './registry.js';

const dataDir = mkdtempSync(join(tmpdir(), 'parascribe-cluster-store-'));
const skip = await postgresSkipReason();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const newJob = (id: string, priority = 'normal') => ({ id, source: `/audio/${id}`, segmentSec: 10, backend: 'fake', format: 'json', language: null, priority, options: {}, owner: 'tenant' });
const instance = (id: string) => ({ id, host: 'test', pid: 1, url: null });

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

describe('cluster store: leases and blobs on PostgreSQL', { skip }, () => {
  let database: TestDatabase;
  let a: JobStore;
  let b: JobStore;

  before(async () => {
    database = await createTestDatabase();
    a = await openStore({ dataDir, databaseUrl: database.url });
    b = await openStore({ dataDir, databaseUrl: database.url });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  test('two servers sweeping at once claim each unowned job exactly once, most urgent first', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `jclaim${String(i).padStart(3, '0')}`);
    for (const [i, id] of ids.entries()) await a.createJob(newJob(id, i === 39 ? 'critical' : 'normal'));
    const rounds = await Promise.all([
      ...Array.from({ length: 5 }, () => a.cluster!.claimLapsed('server-a', 30, 5)),
      ...Array.from({ length: 5 }, () => b.cluster!.claimLapsed('server-b', 30, 5)),
    ]);
    const claimed = rounds.flat().map((c) => c.id);
    assert.equal(new Set(claimed).size, claimed.length, 'no job claimed twice');
    assert.equal(claimed.length, 40);
    assert.ok(rounds.flat().every((c) => c.owner === 'tenant'), "a claim carries the job's owner (per-key limits)");
    assert.ok(rounds.some((r) => r[0]?.id === 'jclaim039'), 'the critical job is first in some claim');
    const again = await a.cluster!.claimLapsed('server-a', 30, 100);
    assert.deepEqual(again.filter((c) => ids.includes(c.id)), [], 'live leases are not claimed again');
    await queryDatabase(database.url, "update transcription_jobs set status = 'completed' where id like 'jclaim%'");
  });

  test("heartbeat renews only the holder's jobs; a lapsed lease is taken over; release frees them at once", async () => {
    await a.createJob(newJob('jlease0001'), (trx) => a.cluster!.claimNew(trx, 'jlease0001', 'server-a', 1));
    await a.createJob(newJob('jlease0002'), (trx) => a.cluster!.claimNew(trx, 'jlease0002', 'server-a', 1));
    assert.deepEqual((await a.cluster!.heartbeat(instance('server-a'), 1)).sort(), ['jlease0001', 'jlease0002']);
    assert.deepEqual(await b.cluster!.heartbeat(instance('server-b'), 1), []);
    assert.deepEqual(await b.cluster!.claimLapsed('server-b', 5, 10), [], 'a live lease stays');
    await sleep(1_300); // server-a missed its heartbeat: both leases lapse
    const taken = await b.cluster!.claimLapsed('server-b', 5, 10);
    assert.deepEqual(taken.map((t) => t.id).sort(), ['jlease0001', 'jlease0002']);
    for (const t of taken) {
      assert.equal(t.previousHolder, 'server-a');
      assert.ok(t.lapsedSec! > 0 && t.lapsedSec! < 5, `lapsed ${t.lapsedSec} s`);
      assert.equal(t.epoch, 2);
    }
    // server-a comes back: its heartbeat renews nothing, and the leases say who holds the jobs.
    assert.deepEqual(await a.cluster!.heartbeat(instance('server-a'), 1), []);
    const leases = await a.cluster!.leases(['jlease0001']);
    assert.deepEqual(leases, [{ id: 'jlease0001', status: 'queued', holder: 'server-b', live: true }]);
    assert.deepEqual((await b.cluster!.liveInstances()).map((i) => i.id), ['server-a'], 'server-b beat 1.3 s ago with a 1 s lease');
    assert.deepEqual((await b.cluster!.release('server-b')).sort(), ['jlease0001', 'jlease0002']);
    assert.deepEqual((await a.cluster!.claimLapsed('server-a', 5, 10)).map((t) => t.id).sort(), ['jlease0001', 'jlease0002'], 'released jobs are claimable at once');
    assert.deepEqual((await a.cluster!.claimOwn('server-a', 5)).map((t) => t.id).sort(), ['jlease0001', 'jlease0002']);
    await queryDatabase(database.url, "update transcription_jobs set status = 'completed' where id like 'jlease%'");
  });

  test('blobs: chunked round trip, range reads across chunks, complete only with the job row', async () => {
    const data = randomBytes(BLOB_CHUNK_BYTES * 2 + 12_345);
    const id = blobId.upload('jblob0001');
    const pieces = (function* () {
      for (let i = 0; i < data.length; i += 65_536) yield data.subarray(i, i + 65_536);
    })();
    assert.equal(await a.blobs.write(id, { kind: 'upload', jobId: 'jblob0001', writer: 'server-a' }, pieces), data.length);
    assert.deepEqual(await a.blobs.info(id), { state: 'writing', sizeBytes: data.length, chunkBytes: BLOB_CHUNK_BYTES });
    assert.equal((await collect(b.blobs.read(id))).length, 0, 'an unfinished blob reads as nothing');
    await a.createJob(newJob('jblob0001'), (trx) => a.blobs.complete(id, trx));
    assert.ok((await collect(b.blobs.read(id))).equals(data));
    const start = BLOB_CHUNK_BYTES - 100;
    const end = 2 * BLOB_CHUNK_BYTES + 50;
    assert.ok((await collect(b.blobs.read(id, start, end))).equals(data.subarray(start, end)), 'a range spanning three chunks');
    // A job row that fails to insert leaves the blob unfinished (the transaction rolled back).
    const id2 = blobId.upload('jblob0001dup');
    await a.blobs.write(id2, { kind: 'upload', jobId: 'jblob0001', writer: 'server-a' }, [Buffer.from('x')]);
    await assert.rejects(a.createJob(newJob('jblob0001'), (trx) => a.blobs.complete(id2, trx)));
    assert.equal((await a.blobs.info(id2))?.state, 'writing');
    await a.blobs.remove(id2);
  });

  test('a shared secret: the first server to ask creates it, every other reads the same one', async () => {
    const first = await a.cluster!.sharedSecret('test-secret', 'from-a');
    const second = await b.cluster!.sharedSecret('test-secret', 'from-b');
    assert.equal(first, 'from-a');
    assert.equal(second, 'from-a');
  });

  test('sweep: an unfinished blob of a live writer stays, of a gone one goes; uploads of ended jobs go after their keep time, transcripts stay', async () => {
    await a.cluster!.register(instance('live-writer'), 30);
    await a.blobs.write('upload:jorphan01', { kind: 'upload', jobId: 'jorphan01', writer: 'dead-writer' }, [Buffer.from('cut')]);
    await a.blobs.write('upload:jwriting1', { kind: 'upload', jobId: 'jwriting1', writer: 'live-writer' }, [Buffer.from('in progress')]);
    await a.createJob(newJob('jended001'));
    await a.blobs.write(blobId.upload('jended001'), { kind: 'upload', jobId: 'jended001', writer: 'live-writer' }, [Buffer.from('u')], { complete: true });
    await a.blobs.write(blobId.segment('jended001', 0), { kind: 'segment', jobId: 'jended001', writer: null }, [Buffer.from('s')], { complete: true });
    await a.blobs.write(blobId.transcript('jended001'), { kind: 'transcript', jobId: 'jended001', writer: null }, [Buffer.from('{}')], { complete: true });
    // Segment audio being written (no writer): not an orphan while it is young (a sweep mid-write once lost one).
    await a.blobs.write(blobId.segment('jwriting1', 0), { kind: 'segment', jobId: 'jwriting1', writer: null }, [Buffer.from('pcm')]);
    const before = await a.blobs.sweep();
    assert.equal((await a.blobs.info(blobId.segment('jwriting1', 0)))?.state, 'writing', 'a young unfinished blob without a writer stays');
    await a.blobs.remove(blobId.segment('jwriting1', 0));
    // A blob removed while it is written fails its writer, rather than leaving it believing it stored it.
    const removedFirst = async function* () {
      await a.blobs.remove(blobId.segment('jwriting1', 1));
      yield Buffer.from('pcm');
    };
    await assert.rejects(a.blobs.write(blobId.segment('jwriting1', 1), { kind: 'segment', jobId: 'jwriting1', writer: null }, removedFirst(), { complete: true }));
    assert.equal(await a.blobs.info(blobId.segment('jwriting1', 1)), undefined);
    assert.equal(await a.blobs.info('upload:jorphan01'), undefined, 'orphan of a gone writer removed');
    assert.ok(await a.blobs.info('upload:jwriting1'), 'a live writer keeps its unfinished upload');
    assert.ok(await a.blobs.info(blobId.upload('jended001')), 'a running job keeps its upload');
    assert.ok(before.orphans >= 1);
    await a.updateJob('jended001', { status: 'completed', completed_at: Date.now() / 1000 - 60 });
    // Kept for playback (serve.keepUploadHours): the upload stays while the job ended less than that ago.
    await a.blobs.sweep(3_600);
    assert.ok(await a.blobs.info(blobId.upload('jended001')), 'an upload kept for an hour stays a minute after the end');
    assert.equal(await a.blobs.info(blobId.segment('jended001', 0)), undefined, 'segment audio goes at once');
    await a.blobs.sweep(30);
    assert.equal(await a.blobs.info(blobId.upload('jended001')), undefined);
    assert.equal(await a.blobs.info(blobId.segment('jended001', 0)), undefined);
    assert.equal((await a.blobs.readAll(blobId.transcript('jended001')))?.toString(), '{}');
    const chunks = await queryDatabase<{ n: number }>(database.url, "select count(*)::int as n from blob_chunks where blob_id in ('upload:jorphan01', 'upload:jended001')");
    assert.equal(chunks[0]!.n, 0, 'chunks went with their blobs');
  });
});

test('the embedded SQLite store has no leases: only a store several machines reach is shared', async () => {
  const store = await openStore({ dataDir: mkdtempSync(join(tmpdir(), 'parascribe-cluster-sqlite-')) });
  try {
    assert.equal(store.cluster, undefined);
  } finally {
    await store.close();
  }
});
