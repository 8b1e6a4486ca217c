/**
 * Priority under overload, end to end on real parts (issue 21): one `parascribe serve` on a private
 * Redis and a throw-away PostgreSQL database, the FAKE OpenAI-compatible server as backend `fake` and,
 * under another id, as the configured cheaper backend `cheap`. Jobs of every priority are queued
 * before any worker runs; then one worker with one slot takes them: the store's segment start times
 * must follow BullMQ's priority order (critical, normal, batch). A batch job submitted while the queued
 * work exceeds what maxWorkers can clear within the target goes to `cheap`, completes there, and
 * shows in `jobs show` and /metrics; a critical job at the same moment keeps its backend.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { segmentQueueName } from '../src/queue/bullmq/connection.js';
import { FIXTURES, ffmpeg, runCli } from './helpers/cli.js';
import { clusterSkipReason, startCluster, type Cluster } from './helpers/cluster.js';
import { queryDatabase } from './helpers/postgres.js';
import { authHeaders, submitFile, TEST_KEYS, waitForJob } from './helpers/server.js';

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('priority order and degradation under overload (serve + worker, Redis, PostgreSQL)', { skip: await clusterSkipReason() }, () => {
  let cluster: Cluster;
  let queue: Queue;
  let clip: string;

  before(async () => {
    cluster = await startCluster({
      name: 'priority-overload',
      faults: { latencyMs: 200 },
      extraBackends: (url) => ({ cheap: { type: 'openai', baseURL: url, apiKey: 'test', timeoutSec: 60 } }),
      config: { distributed: { autoscale: { maxWorkers: 1, degrade: { backend: 'cheap', targetSec: 5, batchAfter: 1, normalAfter: 1000 } } } },
    });
    clip = join(cluster.dir, 'clip.wav');
    ffmpeg(['-ss', '0', '-t', '30', '-i', join(FIXTURES, 'gpl-preamble.mp3'), '-ac', '1', '-ar', '16000', clip]);
    queue = new Queue(segmentQueueName('fake'), { connection: { url: cluster.redis.url }, prefix: 'parascribe' });
  });

  after(async () => {
    await queue?.close();
    await cluster?.stop();
  });

  test('segments are taken critical first, then normal, then batch; an overloaded batch job is degraded, never lost', async () => {
    const queued = async () => {
      const c = await queue.getJobCounts('waiting', 'prioritized');
      return (c.waiting ?? 0) + (c.prioritized ?? 0);
    };
    const submit = async (priority: string) => {
      const { status, body } = await submitFile(cluster.server.url, clip, { segment_sec: '10', priority, backend: 'fake' });
      assert.equal(status, 202, JSON.stringify(body));
      return String(body.id);
    };
    // Lowest priority first, so arrival order alone would give the wrong answer.
    const batch = await submit('batch');
    await waitFor('the batch job on the queue', async () => (await queued()) >= 3);
    const normal = await submit('normal');
    await waitFor('the normal job on the queue', async () => (await queued()) >= 6);
    const tasksBefore = await queued();
    // The server decides from its own read of the queues (what /metrics shows): wait until it sees them.
    const serverWaiting = async () => {
      const body = await (await fetch(`${cluster.server.url}/metrics`, { headers: authHeaders() })).text();
      return Number(/^parascribe_segments_waiting\{backend="fake"\} (\S+)$/m.exec(body)?.[1] ?? 0);
    };
    await waitFor('the server to see the queued tasks', async () => (await serverWaiting()) >= 6, 30_000);
    // Now the queue holds ≥ 6 unmeasured tasks: 6 × 60 s / (1 worker × 1 slot) = 360 s > 5 s.
    const degraded = await submit('batch');
    const critical = await submit('critical');
    await waitFor('the critical job on the queue', async () => (await queued()) >= tasksBefore + 3);

    const worker = await cluster.startWorker(['--backends', 'fake,cheap', '--concurrency', '1']);
    for (const id of [batch, normal, degraded, critical]) {
      const job = await waitForJob(cluster.server.url, id, TEST_KEYS[0], 240_000, 300);
      assert.equal(job.status, 'completed', `${id}: ${JSON.stringify(job.error)}`);
    }
    await worker.stop();

    const rows = await queryDatabase<{ job_id: string; backend: string; started_at: Date }>(
      cluster.database.url,
      `select job_id, backend, started_at from transcription_segments where job_id = any($1) order by started_at`,
      [[batch, normal, critical, degraded]],
    );
    const startsOf = (id: string) => rows.filter((r) => r.job_id === id).map((r) => r.started_at.getTime());
    assert.ok(startsOf(critical).length >= 2 && startsOf(normal).length >= 2 && startsOf(batch).length >= 2, 'multi-segment jobs');
    assert.ok(Math.max(...startsOf(critical)) <= Math.min(...startsOf(normal)), 'every critical segment started before any normal one');
    assert.ok(Math.max(...startsOf(normal)) <= Math.min(...startsOf(batch)), 'every normal segment started before any batch one');
    assert.deepEqual([...new Set(rows.filter((r) => r.job_id === degraded).map((r) => r.backend))], ['cheap'], 'the degraded job ran on the cheaper backend');
    assert.deepEqual([...new Set(rows.filter((r) => r.job_id === critical).map((r) => r.backend))], ['fake'], 'the critical job kept its backend');

    const show = await runCli(['jobs', 'show', degraded], cluster.env);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^degraded {2}\S+ fake → cheap \(fleet overloaded: the backlog needs \d+ s at 1 workers, over 5 s for batch jobs; sent to cheap\)$/m);
    const criticalShow = await runCli(['jobs', 'show', critical], cluster.env);
    assert.doesNotMatch(criticalShow.stdout, /degraded/);

    const metrics = await (await fetch(`${cluster.server.url}/metrics`, { headers: authHeaders() })).text();
    assert.match(metrics, /^parascribe_jobs_degraded_total\{priority="batch",from="fake",to="cheap"\} 1$/m);
  });
});
