/**
 * One chaos run (issue 22, part 3), shared by test/hardening/chaos.test.ts (CI, 5 minutes) and
 * bench/chaos-soak.ts (30 minutes by hand): a calm job first (the reference transcript), then load
 * (ChaosLoad) while the seeded faults (chaos-faults.ts) strike one after another; after each fault is
 * lifted, a probe job measures the recovery (lifted → the probe's transcript done). At the end the
 * load stops and every accepted job is accounted for: completed with the reference transcript, or
 * failed with a code a user can act on; none stuck, none lost, no segment result stored twice.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from '../../helpers/cli.js';
import { queryDatabase } from '../../helpers/postgres.js';
import { startChaosCluster, type ChaosCluster } from './chaos-cluster.js';
import { applyFault, faultSchedule, type FaultKind, type FaultMoment } from './chaos-faults.js';
import { ChaosLoad } from './chaos-load.js';

export interface ChaosOptions {
  seed: number;
  durationSec: number;
  /** One fault per slot (default 25 s). */
  slotSec?: number;
  workers?: number;
  concurrency?: number;
  /** Only these kinds of fault (default: all six). */
  kinds?: readonly FaultKind[];
  log?: (line: string) => void;
}

export interface FaultRecord extends FaultMoment {
  startedSec: number;
  liftedSec: number;
  /** Lifted → a probe job submitted after it completed; null: no probe completed in time. */
  recoveryMs: number | null;
}

export interface ChaosReport {
  seed: number;
  durationSec: number;
  tmpfs: boolean;
  faults: FaultRecord[];
  accepted: number;
  completed: number;
  /** code → count */
  failed: Record<string, number>;
  /** Failed with a code no user can act on (INTERNAL…). */
  failedUnactionable: string[];
  stuck: string[];
  lost: string[];
  wrongTranscript: string[];
  duplicateSegmentWrites: Array<{ job: string; idx: number; writes: number }>;
  refusals: Record<string, number>;
  serverErrors: string[];
  stackTraces: string[];
}

/** Codes that tell a user what to do (resubmit later, fix the input): a failed job must carry one. */
export const ACTIONABLE_CODES = new Set(['BACKEND_FAILED', 'BACKEND_UNAVAILABLE', 'BREAKER_OPEN', 'SEGMENT_TIMEOUT', 'STORAGE_FULL', 'CORRUPT_AUDIO', 'EMPTY_AUDIO', 'NOT_AUDIO', 'AUDIO_TOO_LONG']);

/** 30 s of real speech as 16 kHz mono WAV: three 10 s segments per job. */
function chaosClip(dir: string): Buffer {
  const path = join(dir, 'clip.wav');
  execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-t', '30', '-i', join(FIXTURES, 'gpl-preamble.mp3'), '-ac', '1', '-ar', '16000', '-y', path]);
  return readFileSync(path);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const cluster: ChaosCluster = await startChaosCluster({ workers: options.workers ?? 2, dataDirMb: 64, lockSec: 5, stalledCheckSec: 2 });
  try {
    const load = new ChaosLoad(cluster, chaosClip(cluster.dir));
    const calm = await load.probe(Date.now(), Date.now() + 120_000);
    if (!calm) throw new Error('the calm reference job did not complete');
    const calmId = [...load.accepted.keys()][0]!;
    const reference = await load.transcript(calmId);
    if (!reference || reference.trim().split(/\s+/).length < 20) throw new Error(`no reference transcript: ${reference}`);
    log(`calm job ${calmId}: ${(calm.recoveryMs / 1000).toFixed(1)} s, ${reference.trim().split(/\s+/).length} words`);

    const schedule = faultSchedule(options.seed, options.durationSec, options.slotSec ?? 25, options.kinds);
    const started = Date.now();
    load.start(options.concurrency ?? 3);
    const faults: FaultRecord[] = [];
    for (const moment of schedule) {
      const wait = started + moment.atSec * 1000 - Date.now();
      if (wait > 0) await sleep(wait);
      const startedSec = (Date.now() - started) / 1000;
      log(`${startedSec.toFixed(1)} s: ${moment.kind}`);
      const lifted = await applyFault(cluster, moment, log);
      const probe = await load.probe(lifted, lifted + 180_000);
      const record = { ...moment, startedSec, liftedSec: (lifted - started) / 1000, recoveryMs: probe?.recoveryMs ?? null };
      faults.push(record);
      log(`  lifted at ${record.liftedSec.toFixed(1)} s, recovered in ${probe ? (probe.recoveryMs / 1000).toFixed(1) + ' s' : 'NEVER'}`);
    }
    const left = started + options.durationSec * 1000 - Date.now();
    if (left > 0) await sleep(left);
    await load.stop();
    return await account(cluster, load, reference, { seed: options.seed, durationSec: options.durationSec, faults });
  } finally {
    await cluster.stop();
  }
}

async function account(cluster: ChaosCluster, load: ChaosLoad, reference: string, base: Pick<ChaosReport, 'seed' | 'durationSec' | 'faults'>): Promise<ChaosReport> {
  const report: ChaosReport = {
    ...base,
    tmpfs: cluster.tmpfs,
    accepted: load.accepted.size,
    completed: 0,
    failed: {},
    failedUnactionable: [],
    stuck: [],
    lost: [],
    wrongTranscript: [],
    duplicateSegmentWrites: [],
    refusals: load.refusals,
    serverErrors: load.serverErrors,
    stackTraces: [],
  };
  const deadline = Date.now() + 240_000;
  for (const job of load.accepted.values()) {
    const view = await load.settle(job.id, deadline);
    if (!view) report.stuck.push(job.id);
    else if (view.httpStatus === 404) report.lost.push(job.id);
    else if (view.status === 'completed') {
      report.completed++;
      if ((await load.transcript(job.id)) !== reference) report.wrongTranscript.push(job.id);
    } else {
      const code = String(view.error?.code ?? view.status);
      report.failed[code] = (report.failed[code] ?? 0) + 1;
      if (!ACTIONABLE_CODES.has(code) || !view.error?.message) report.failedUnactionable.push(`${job.id}: ${view.status} ${JSON.stringify(view.error)}`);
    }
  }
  const writes = await queryDatabase<{ job_id: string; idx: number; n: number }>(
    cluster.database.url,
    'SELECT job_id, idx, count(*)::int AS n FROM test_segment_writes GROUP BY job_id, idx HAVING count(*) > 1',
  );
  report.duplicateSegmentWrites = writes.map((w) => ({ job: w.job_id, idx: w.idx, writes: w.n }));
  for (const [who, text] of cluster.stderr()) {
    const stack = /^\s+at .+[(:]\d+/m.exec(text);
    if (stack) report.stackTraces.push(`${who}: ${text.slice(Math.max(0, stack.index - 400), stack.index + 200)}`);
  }
  return report;
}

/** Median and max recovery (s) of the faults, by kind and over all. */
export function recoveryTable(faults: readonly FaultRecord[]): Array<{ kind: FaultKind | 'all'; count: number; medianSec: number; maxSec: number; unrecovered: number }> {
  const kinds = [...new Set(faults.map((f) => f.kind))];
  const row = (kind: FaultKind | 'all', list: readonly FaultRecord[]) => {
    const times = list.flatMap((f) => (f.recoveryMs === null ? [] : [f.recoveryMs / 1000])).sort((a, b) => a - b);
    const mid = Math.floor(times.length / 2);
    const medianSec = times.length === 0 ? Number.NaN : times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
    return { kind, count: list.length, medianSec, maxSec: times.at(-1) ?? Number.NaN, unrecovered: list.filter((f) => f.recoveryMs === null).length };
  };
  return [...kinds.map((k) => row(k, faults.filter((f) => f.kind === k))), row('all', faults)];
}
