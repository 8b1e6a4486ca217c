/**
 * Shadow and canary metrics, read from the store at scrape time: the store holds what every process
 * recorded (a worker has no /metrics of its own), so the server exports the shadows and verdicts of
 * the whole deployment.
 *
 *   parascribe_shadow_wer{backend}               histogram: per shadowed segment, the WER of the stored
 *                                                result (by the backend that served it) against the
 *                                                shadow reference's; rows recorded since this process
 *                                                started, each observed once by it
 *   parascribe_canary_state{backend}             gauge: the newest rollout of each candidate:
 *                                                0 active (on trial), 1 ready, 2 rolled back
 *   parascribe_canary_rollbacks_total{backend}   counter: rollbacks decided since this process started
 *
 * Several servers on one store each export every row (like the job counts), so aggregate them with
 * max() or per instance, not sum().
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { nowSec } from '../core/time.js';
import type { JobStore } from '../store/jobs.js';

export const SHADOW_WER_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1];
const CANARY_VALUE: Record<string, number> = { active: 0, ready: 1, 'rolled-back': 2 };

export function registerRolloutMetrics(registry: Registry, store: JobStore): void {
  const registers = [registry];
  const startedAtSec = nowSec();
  // Rows before this process started are history, not this process's observations. Scrapes are
  // chained on the cursor, so that two at once never observe a row twice.
  let cursor: Promise<number> = store.rollout.lastShadowId().catch(() => 0);
  new Histogram({
    name: 'parascribe_shadow_wer',
    help: 'Disagreement of shadowed segments: WER of the stored result (label: the backend that served it) against the shadow reference backend.',
    labelNames: ['backend'],
    buckets: SHADOW_WER_BUCKETS,
    registers,
    async collect() {
      cursor = cursor.then(async (after) => {
        try {
          for (;;) {
            const rows = await store.rollout.shadowsAfter(after);
            for (const row of rows) {
              if (row.kind === 'shadow' && row.wer !== null) this.observe({ backend: row.backend }, row.wer);
              after = row.id;
            }
            if (rows.length < 1000) return after;
          }
        } catch {
          return after; // the store is away: the next scrape catches up
        }
      });
      await cursor;
    },
  });
  new Gauge({
    name: 'parascribe_canary_state',
    help: 'Canary rollout of each candidate backend (its newest rollout): 0 active (on trial), 1 ready to promote, 2 rolled back.',
    labelNames: ['backend'],
    registers,
    async collect() {
      this.reset();
      const seen = new Set<string>();
      for (const row of await store.rollout.listRollouts()) {
        if (seen.has(row.backend)) continue; // newest first
        seen.add(row.backend);
        this.set({ backend: row.backend }, CANARY_VALUE[row.status] ?? 0);
      }
    },
  });
  const counted = new Map<string, number>();
  new Counter({
    name: 'parascribe_canary_rollbacks_total',
    help: 'Canary candidates rolled back automatically (a threshold breached), since this process started.',
    labelNames: ['backend'],
    registers,
    async collect() {
      for (const { backend, count } of await store.rollout.countRollbacksSince(startedAtSec)) {
        const delta = count - (counted.get(backend) ?? 0);
        if (delta > 0) this.inc({ backend }, delta);
        counted.set(backend, count);
      }
    },
  });
}
