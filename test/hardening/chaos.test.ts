/**
 * Issue 22, part 3: chaos under load, the CI version (CHAOS_DURATION_SEC, default 300 s; seed
 * CHAOS_SEED, default 22). `parascribe serve` + 2 `parascribe worker`s in distributed mode (a private
 * Redis, a throw-away PostgreSQL database behind a TCP proxy, the data dir on a 64 MiB tmpfs) take a
 * steady load of jobs while, at seeded moments, Redis restarts, PostgreSQL becomes unreachable for
 * 10 s, the data dir fills up, a worker and the server are killed with SIGKILL (and started again),
 * and the backend answers 30 % of requests with errors for 20 s (test/hardening/lib/chaos-*.ts).
 * Every accepted job must end completed with the calm run's transcript, or failed with a code a user
 * can act on; none stuck or lost; no segment result stored twice; no 500; and the service must
 * recover from every fault by itself (a probe job completes after each). The 30-minute soak is
 * bench/chaos-soak.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterSkipReason } from '../helpers/cluster.js';
import { FAULT_KINDS } from './lib/chaos-faults.js';
import { recoveryTable, runChaos } from './lib/chaos-run.js';

const skip = await clusterSkipReason();
const DURATION_SEC = Number(process.env.CHAOS_DURATION_SEC ?? 300);
const SEED = Number(process.env.CHAOS_SEED ?? 22);

test(`chaos under load for ${DURATION_SEC} s (seed ${SEED}): no accepted job lost, stuck or stored twice; every fault recovered from`, { skip, timeout: (DURATION_SEC + 900) * 1000 }, async () => {
  const report = await runChaos({ seed: SEED, durationSec: DURATION_SEC, slotSec: 25, log: (line) => console.log(`# ${line}`) });
  for (const row of recoveryTable(report.faults)) console.log(`# recovery ${row.kind}: ${row.count} faults, median ${row.medianSec.toFixed(1)} s, max ${row.maxSec.toFixed(1)} s, unrecovered ${row.unrecovered}`);
  console.log(`# accepted ${report.accepted}, completed ${report.completed}, failed ${JSON.stringify(report.failed)}, refused ${JSON.stringify(report.refusals)}`);
  assert.deepEqual(report.lost, [], 'accepted jobs lost');
  assert.deepEqual(report.stuck, [], 'jobs stuck');
  assert.deepEqual(report.duplicateSegmentWrites, [], 'segment results stored more than once');
  assert.deepEqual(report.wrongTranscript, [], 'completed jobs whose transcript differs from the calm run');
  assert.deepEqual(report.failedUnactionable, [], 'failed jobs without a reason a user can act on');
  assert.deepEqual(report.serverErrors, [], '500 answers');
  assert.deepEqual(report.faults.filter((f) => f.recoveryMs === null), [], 'faults the service never recovered from');
  assert.ok(report.completed > report.accepted / 2, `most accepted jobs complete (${report.completed} of ${report.accepted})`);
  if (DURATION_SEC >= 300) {
    assert.ok(report.faults.length >= 10, `${report.faults.length} faults`);
    const kinds = new Set(report.faults.map((f) => f.kind));
    for (const kind of FAULT_KINDS) if (kind !== 'disk-full' || report.tmpfs) assert.ok(kinds.has(kind), `no ${kind} fault`);
  }
});
