import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParascribeError } from '../errors.js';
import { JobStore, newJobId } from '../store/jobs.js';
import type { JobStatus } from '../store/schema.js';
import { openSqlite } from '../store/sqlite.js';
import { assertJobId, isJobId, JobFiles } from './uploads.js';

test('isJobId / assertJobId: only ids shaped like newJobId’s', () => {
  const cases: Array<[string, boolean]> = [
    [newJobId(), true],
    ['j123456', true],
    ['jabc123xyz', true],
    [`j${'a'.repeat(20)}`, true],
    ['j123', false], // too short
    ['j12345', false],
    [`j${'a'.repeat(21)}`, false], // too long
    [`j${'1'.repeat(500)}`, false],
    ['J123456', false], // uppercase
    ['jABCDEF1', false],
    ['x123456', false],
    ['123456', false],
    ['', false],
    ['../x', false],
    ['j123456/../../etc', false],
    ['..', false],
    ['j123456\n', false],
    ['j123456 ', false],
    ['j12345_7', false],
    ['j1234-567', false],
    ['j123%2e%2e', false],
  ];
  for (const [value, expected] of cases) {
    assert.equal(isJobId(value), expected, JSON.stringify(value));
    if (expected) assert.doesNotThrow(() => assertJobId(value));
    else
      assert.throws(
        () => assertJobId(value),
        (error: unknown) => error instanceof ParascribeError && error.code === 'JOB_NOT_FOUND',
        JSON.stringify(value),
      );
  }
  // The message quotes at most 40 characters of what it was given.
  assert.throws(
    () => assertJobId('z'.repeat(1000)),
    (error: unknown) => error instanceof ParascribeError && error.message.length < 80,
  );
});

test('JobFiles: paths stay under <dataDir>/jobs/<id>/', () => {
  const files = new JobFiles('/data');
  assert.equal(files.dir('jabc1234'), join('/data', 'jobs', 'jabc1234'));
  assert.equal(files.input('jabc1234'), join('/data', 'jobs', 'jabc1234', 'input'));
  assert.equal(files.partial('jabc1234'), join('/data', 'jobs', 'jabc1234', 'input.part'));
  assert.equal(files.transcript('jabc1234'), join('/data', 'jobs', 'jabc1234', 'transcript.json'));
});

async function withStore(fn: (ctx: { dataDir: string; store: JobStore; files: JobFiles }) => Promise<void>): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'parascribe-uploads-'));
  const store = new JobStore(await openSqlite(join(dataDir, 'db', 'parascribe.sqlite')));
  try {
    await fn({ dataDir, store, files: new JobFiles(dataDir) });
  } finally {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

let idCounter = 0;
async function createJob(store: JobStore, files: JobFiles, status: JobStatus): Promise<string> {
  // Distinct ids even within one millisecond.
  const id = `jtest${(idCounter++).toString(36).padStart(4, '0')}${status.slice(0, 3)}`;
  assert.ok(isJobId(id), id);
  await store.createJob({ id, source: 'upload', segmentSec: 360, backend: 'pocketsphinx', format: 'json', language: null, priority: 'normal', options: {} });
  if (status !== 'queued') await store.updateJob(id, { status });
  await files.create(id);
  await writeFile(files.input(id), 'audio');
  await writeFile(files.partial(id), 'partial');
  await writeFile(files.transcript(id), '{"segments":[]}');
  return id;
}

test('JobFiles.sweep: no jobs directory at all → nothing to do', async () => {
  await withStore(async ({ store, files }) => {
    assert.deepEqual(await files.sweep(store), { orphans: 0, inputs: 0 });
  });
});

test('JobFiles.sweep: orphan dirs deleted, finished jobs lose their input (transcript kept), live jobs untouched', async () => {
  await withStore(async ({ dataDir, store, files }) => {
    // An upload that never became a job (crash mid-upload), and a stray non-id directory.
    const orphan = newJobId();
    await files.create(orphan);
    await writeFile(files.partial(orphan), 'half an upload');
    await mkdir(join(dataDir, 'jobs', 'not-a-job', 'deeper'), { recursive: true });
    await writeFile(join(dataDir, 'jobs', 'not-a-job', 'deeper', 'x'), 'x');

    const queued = await createJob(store, files, 'queued');
    const running = await createJob(store, files, 'running');
    const terminal = await Promise.all((['completed', 'failed', 'cancelled', 'interrupted'] as const).map((s) => createJob(store, files, s)));

    const result = await files.sweep(store);
    assert.deepEqual(result, { orphans: 2, inputs: terminal.length });

    assert.equal(existsSync(files.dir(orphan)), false, 'the orphan upload was kept');
    assert.equal(existsSync(join(dataDir, 'jobs', 'not-a-job')), false, 'a non-id directory was kept');

    for (const id of [queued, running]) {
      assert.deepEqual((await readdir(files.dir(id))).sort(), ['input', 'input.part', 'transcript.json'], `job ${id} was touched`);
    }
    for (const id of terminal) {
      assert.equal(existsSync(files.input(id)), false, `job ${id} kept its input`);
      assert.equal(existsSync(files.partial(id)), false, `job ${id} kept its partial upload`);
      assert.equal(existsSync(files.transcript(id)), true, `job ${id} lost its transcript`);
    }

    // The job rows themselves are not touched.
    assert.equal((await store.getJob(queued))?.status, 'queued');
    assert.equal((await store.getJob(terminal[0]!))?.status, 'completed');

    // A second sweep finds nothing more to delete and changes nothing.
    assert.deepEqual(await files.sweep(store), { orphans: 0, inputs: terminal.length });
    assert.deepEqual((await readdir(join(dataDir, 'jobs'))).sort(), [queued, running, ...terminal].sort());
  });
});

test('JobFiles.remove / removeInput: idempotent', async () => {
  await withStore(async ({ store, files }) => {
    const id = await createJob(store, files, 'completed');
    await files.removeInput(id);
    await files.removeInput(id);
    assert.equal(existsSync(files.input(id)), false);
    assert.equal(existsSync(files.transcript(id)), true);
    await files.remove(id);
    await files.remove(id);
    assert.equal(existsSync(files.dir(id)), false);
  });
});
