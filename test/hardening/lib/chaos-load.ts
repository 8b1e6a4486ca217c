/**
 * A bounded load generator on loopback: keeps `concurrency` jobs in flight through the chaos cluster's
 * API (whichever server process is up now), records every job it got a 202 for, and every refusal by
 * status and code. A refusal is fine (the client was told); what the run checks is what became of
 * the accepted jobs, and that no answer was a 500.
 */
import type { ChaosCluster } from './chaos-cluster.js';
import { TEST_KEYS } from '../../helpers/server.js';

export const CHAOS_KEY = TEST_KEYS[0]!;
const FINAL = ['completed', 'failed', 'cancelled', 'interrupted'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface AcceptedJob {
  id: string;
  acceptedMs: number;
  probe: boolean;
}

export class ChaosLoad {
  readonly accepted = new Map<string, AcceptedJob>();
  /** `status code` (or the network error) → count, for submissions that were not accepted. */
  readonly refusals: Record<string, number> = {};
  /** Any 500 answer, with its body: a bug whatever the fault. */
  readonly serverErrors: string[] = [];
  #running = false;
  #loops: Promise<void>[] = [];

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly audio: Buffer,
  ) {}

  #headers(): Record<string, string> {
    return { Authorization: `Bearer ${CHAOS_KEY}` };
  }

  /** One submission attempt: the job id, or undefined when refused or unreachable. */
  async submitOnce(probe = false): Promise<string | undefined> {
    const form = new FormData();
    form.set('file', new Blob([new Uint8Array(this.audio)]), 'chaos.wav');
    form.set('segment_sec', '10');
    let response: Response;
    try {
      response = await fetch(`${this.cluster.server().url}/v1/jobs`, { method: 'POST', body: form, headers: this.#headers(), signal: AbortSignal.timeout(15_000) });
    } catch (error) {
      const name = ((error as Error).cause as { code?: string } | undefined)?.code ?? (error as Error).name;
      this.refusals[name] = (this.refusals[name] ?? 0) + 1;
      return undefined;
    }
    const text = await response.text().catch(() => '');
    if (response.status === 202) {
      const id = (JSON.parse(text) as { id: string }).id;
      this.accepted.set(id, { id, acceptedMs: Date.now(), probe });
      return id;
    }
    const code = (() => {
      try {
        return (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? '?';
      } catch {
        return 'not-json';
      }
    })();
    this.refusals[`${response.status} ${code}`] = (this.refusals[`${response.status} ${code}`] ?? 0) + 1;
    if (response.status >= 500 && code !== 'NOT_READY' && response.status !== 503 && response.status !== 507) this.serverErrors.push(`POST /v1/jobs ${response.status} ${text.slice(0, 300)}`);
    return undefined;
  }

  /** The job's view, or undefined while the server cannot be reached. */
  async view(id: string): Promise<Record<string, any> | undefined> {
    try {
      const response = await fetch(`${this.cluster.server().url}/v1/jobs/${id}`, { headers: this.#headers(), signal: AbortSignal.timeout(10_000) });
      const body = (await response.json()) as Record<string, any>;
      if (response.status >= 500 && response.status !== 503) this.serverErrors.push(`GET /v1/jobs/${id} ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
      return { ...body, httpStatus: response.status };
    } catch {
      return undefined;
    }
  }

  async transcript(id: string): Promise<string | undefined> {
    for (let attempt = 0; attempt < 40; attempt++) {
      try {
        const response = await fetch(`${this.cluster.server().url}/v1/jobs/${id}/transcript?format=txt`, { headers: this.#headers(), signal: AbortSignal.timeout(10_000) });
        if (response.status === 200) return await response.text();
      } catch {
        // the server is restarting
      }
      await sleep(500);
    }
    return undefined;
  }

  /** Waits for the job's final view (undefined: still not final at the deadline). */
  async settle(id: string, deadlineMs: number): Promise<Record<string, any> | undefined> {
    while (Date.now() < deadlineMs) {
      const view = await this.view(id);
      if (view && (FINAL.includes(view.status) || view.httpStatus === 404)) return view;
      await sleep(500);
    }
    return undefined;
  }

  /** Submits until one is accepted, then waits for it to end: the ms from `fromMs` to its end, and how it ended. */
  async probe(fromMs: number, deadlineMs: number): Promise<{ recoveryMs: number; status: string } | undefined> {
    while (Date.now() < deadlineMs) {
      const id = await this.submitOnce(true);
      if (!id) {
        await sleep(250);
        continue;
      }
      const view = await this.settle(id, deadlineMs);
      if (!view) return undefined;
      if (view.status === 'completed') return { recoveryMs: Date.now() - fromMs, status: 'completed' };
      // A probe that failed (e.g. the backend's error burst outlasted its retries): try another.
    }
    return undefined;
  }

  start(concurrency: number): void {
    this.#running = true;
    for (let i = 0; i < concurrency; i++) {
      this.#loops.push(
        (async () => {
          while (this.#running) {
            const id = await this.submitOnce();
            if (!id) {
              await sleep(500);
              continue;
            }
            await this.settle(id, Date.now() + 120_000);
          }
        })(),
      );
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }
}
