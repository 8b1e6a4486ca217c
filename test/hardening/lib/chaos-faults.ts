/**
 * The chaos run's faults: when (seeded moments) and what (restart Redis, cut PostgreSQL for 10 s,
 * fill the data dir's filesystem, kill -9 a worker, kill -9 the server, send the backend into 30 %
 * errors). `faultSchedule` is pure: the same seed and duration give the same moments. `applyFault`
 * runs one against a cluster and resolves once it is lifted.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../../fakes/openai-server.js';
import type { ChaosCluster } from './chaos-cluster.js';

export const FAULT_KINDS = ['redis-restart', 'postgres-outage', 'disk-full', 'kill-worker', 'kill-server', 'backend-errors'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultMoment {
  atSec: number;
  kind: FaultKind;
  /** Which worker a kill-worker takes (index, modulo the worker count). */
  pick: number;
}

/** How long each fault holds before it is lifted (the instant ones: 0). */
export const FAULT_HOLD_SEC: Record<FaultKind, number> = {
  'redis-restart': 2,
  'postgres-outage': 10,
  'disk-full': 10,
  'kill-worker': 0,
  'kill-server': 0,
  'backend-errors': 20,
};

/**
 * One fault per slot of `slotSec`, at a seeded moment in the first third of the slot (the rest leaves
 * time to recover and measure it); kinds in seeded rounds, so each kind comes once per round of six.
 * The first slot is left calm.
 */
export function faultSchedule(seed: number, durationSec: number, slotSec: number, kinds: readonly FaultKind[] = FAULT_KINDS): FaultMoment[] {
  const random = seededRandom(seed);
  const moments: FaultMoment[] = [];
  let round: FaultKind[] = [];
  for (let slot = 1; (slot + 1) * slotSec <= durationSec; slot++) {
    if (round.length === 0) {
      round = [...kinds];
      for (let i = round.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [round[i], round[j]] = [round[j]!, round[i]!];
      }
    }
    const kind = round.pop()!;
    moments.push({ atSec: Math.round((slot * slotSec + random() * slotSec * 0.33) * 10) / 10, kind, pick: Math.floor(random() * 1000) });
  }
  return moments;
}

const BALLAST = 'chaos-ballast.bin';

/** Fills the data dir's filesystem to the last byte (a ballast file); returns the bytes taken. */
export function fillDisk(dataDir: string): number {
  const { bavail, bsize } = statfsSync(dataDir);
  const bytes = Number(bavail) * Number(bsize);
  const file = join(dataDir, BALLAST);
  if (spawnSync('fallocate', ['-l', String(bytes), file]).status !== 0) spawnSync('dd', ['if=/dev/zero', `of=${file}`, 'bs=1M'], { stdio: 'ignore' });
  return bytes;
}

export function freeDisk(dataDir: string): void {
  rmSync(join(dataDir, BALLAST), { force: true });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Applies the fault and lifts it; resolves at the moment it is lifted (Date.now()). */
export async function applyFault(cluster: ChaosCluster, moment: FaultMoment, log: (line: string) => void): Promise<number> {
  const holdMs = FAULT_HOLD_SEC[moment.kind] * 1000;
  switch (moment.kind) {
    case 'redis-restart':
      await cluster.redis.restart({ downMs: holdMs });
      break;
    case 'postgres-outage':
      await cluster.proxy.cut();
      await sleep(holdMs);
      await cluster.proxy.restore();
      break;
    case 'disk-full': {
      if (!cluster.tmpfs) {
        log('disk-full skipped: the data dir is not a tmpfs of its own (not root, or mount refused)');
        break;
      }
      const bytes = fillDisk(cluster.dataDir);
      log(`disk-full: ballast of ${(bytes / 2 ** 20).toFixed(1)} MiB`);
      await sleep(holdMs);
      freeDisk(cluster.dataDir);
      break;
    }
    case 'kill-worker':
      await cluster.replaceWorker(moment.pick % cluster.workers().length);
      break;
    case 'kill-server':
      await cluster.restartServer(true);
      break;
    case 'backend-errors':
      cluster.fake.setFaults({ failRate: 0.3 });
      await sleep(holdMs);
      cluster.fake.setFaults({});
      break;
  }
  return Date.now();
}
