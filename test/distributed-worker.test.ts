/**
 * `parascribe worker` as an operator meets it: configuration errors are one clear line with an exit
 * code; SIGTERM stops taking work and, after the grace period, hands the in-flight segment back to the
 * queue so another worker finishes it at once (not after the lost-worker lock expiry).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { segmentQueueName } from '../src/queue/bullmq/connection.js';
import { FIXTURES, runCli, tempDir } from './helpers/cli.js';
import { clusterSkipReason, startCluster, WORKER_SECRET as SECRET, type Cluster } from './helpers/cluster.js';
import { submitFile, TEST_KEYS, waitForJob } from './helpers/server.js';

test('worker and serve: distributed settings that are missing or wrong → one line naming the setting, its exit code, no stack', async () => {
  const dataDir = tempDir('worker-config');
  const base = { PARASCRIBE_DATA_DIR: dataDir, PARASCRIBE_CONFIG: '', PARASCRIBE_API_KEYS: TEST_KEYS[0]! };
  const cases: Array<[string, string[], Record<string, string>, number, RegExp]> = [
    ['worker without Redis', ['worker'], {}, 12, /PARASCRIBE_REDIS_URL/],
    ['worker without a shared database', ['worker'], { PARASCRIBE_REDIS_URL: 'redis://127.0.0.1:1' }, 12, /PARASCRIBE_DATABASE_URL/],
    ['serve without the worker secret', ['serve', '--port', '0'], { PARASCRIBE_REDIS_URL: 'redis://127.0.0.1:1', PARASCRIBE_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' }, 12, /PARASCRIBE_WORKER_SECRET/],
    ['worker --concurrency 0', ['worker', '--concurrency', '0'], { PARASCRIBE_REDIS_URL: 'redis://127.0.0.1:1', PARASCRIBE_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x', PARASCRIBE_WORKER_SECRET: SECRET }, 2, /--concurrency/],
    ['worker --backends naming no backend', ['worker', '--backends', 'nosuch'], { PARASCRIBE_REDIS_URL: 'redis://127.0.0.1:1', PARASCRIBE_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x', PARASCRIBE_WORKER_SECRET: SECRET }, 9, /nosuch/],
  ];
  try {
    for (const [what, args, env, code, message] of cases) {
      const run = await runCli(args, { ...base, ...env });
      assert.equal(run.code, code, `${what}: ${run.stderr}`);
      assert.match(run.stderr, message, what);
      assert.equal(run.stderr.trim().split('\n').length, 1, `${what}: one line`);
      assert.doesNotMatch(run.stderr, /\n\s+at /, what);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

describe('worker SIGTERM with a segment in flight', { skip: await clusterSkipReason() }, () => {
  let cluster: Cluster;
  // A 60 s lock: were the segment not handed back, it would only come back after a minute.
  before(async () => (cluster = await startCluster({ name: 'worker-sigterm', faults: { latencyMs: 6_000 }, config: { distributed: { lockSec: 60, stalledCheckSec: 30 } } })));
  after(async () => cluster?.stop());

  test('the worker exits 0 after the grace period and the segment is finished by the next worker at once', async () => {
    const first = await cluster.startWorker(['--backends', 'fake', '--grace', '1']);
    const { server, redis } = cluster;
    const { body } = await submitFile(server.url, join(FIXTURES, 'jfk.wav'), { backend: 'fake' }, TEST_KEYS[0], 'jfk.wav');
    const queue = new Queue(segmentQueueName('fake'), { connection: { url: redis.url }, prefix: 'parascribe' });
    try {
      const deadline = Date.now() + 30_000;
      while ((await queue.getActiveCount()) === 0) {
        assert.ok(Date.now() < deadline, 'a segment became active on the first worker');
        await new Promise((r) => setTimeout(r, 100));
      }
      const stopAt = performance.now();
      const exit = await first.stop();
      const stopSec = (performance.now() - stopAt) / 1000;
      assert.equal(exit.code, 0, first.stderr());
      assert.ok(stopSec < 1 + 8, `stopped in ${stopSec.toFixed(1)} s (grace 1 s)`);
      assert.match(first.stderr(), /stopping: in-flight segments get 1 s/);
      // Handed back: waiting again, not active under a dead worker's lock.
      assert.equal(await queue.getActiveCount(), 0);
      assert.equal((await queue.getWaiting()).length + (await queue.getPrioritized()).length, 1);

      const secondAt = performance.now();
      const second = await cluster.startWorker(['--backends', 'fake']);
      const job = await waitForJob(server.url, String(body.id), TEST_KEYS[0], 60_000, 200);
      assert.equal(job.status, 'completed', JSON.stringify(job.error));
      const finishSec = (performance.now() - secondAt) / 1000;
      // Worker start + one 6 s fake request + bookkeeping: far below the 60 s lock.
      assert.ok(finishSec < 30, `finished ${finishSec.toFixed(1)} s after the second worker started`);
      const done = await queue.getJobs(['completed'], 0, 10);
      assert.deepEqual(done.map((j) => (j.returnvalue as { worker: string }).worker), [second.name]);
      process.stdout.write(`# worker SIGTERM: stopped in ${stopSec.toFixed(2)} s (grace 1 s); segment finished ${finishSec.toFixed(1)} s after the next worker started\n`);
    } finally {
      await queue.close();
    }
  });
});
