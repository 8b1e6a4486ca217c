/**
 * Change notifications between API servers: PostgreSQL LISTEN/NOTIFY on one channel. A server that
 * sees a job change (a segment stored, a stage, the end) tells the others, so an SSE stream or a
 * synchronous call on any server wakes at once, as it does on the job's own server (JobWatch), and
 * re-reads the store. Notices are coalesced per job over a few milliseconds and carry the stage
 * (which only the running server knows) and cancel requests (which only it can act on).
 *
 * Why PostgreSQL and not Redis pub/sub: every server of a cluster has the database (leases need it),
 * while Redis is there only in distributed mode. A notice is delivered after the write it follows
 * (the writer commits first), and if the listening connection drops, notices sent meanwhile are
 * lost: on reconnect every local waiter is woken to re-read the store, so nothing is missed for long.
 */
import pg from 'pg';
import type { ClusterStore } from '../../store/cluster.js';

export const JOB_CHANNEL = 'parascribe_job_changes';
/** NOTIFY payloads are limited to 8000 bytes. */
const MAX_PAYLOAD = 7_000;

export interface JobNotice {
  jobId: string;
  /** The running server's stage for the job (null: none, e.g. it ended). */
  stage: string | null;
}

interface Payload {
  /** The sending instance (a server ignores its own notices). */
  f: string;
  /** [jobId, stage] pairs. */
  n?: Array<[string, string | null]>;
  /** Jobs to cancel (whoever runs them). */
  c?: string[];
}

export interface NotifierOptions {
  databaseUrl: string;
  store: ClusterStore;
  instanceId: string;
  onNotice: (notice: JobNotice) => void;
  onCancel: (jobId: string) => void;
  /** The connection was down: notices may have been missed. */
  onResync: () => void;
  log: (line: string) => void;
  coalesceMs?: number;
}

export class ClusterNotifier {
  #client: pg.Client | undefined;
  #pending = new Map<string, string | null>();
  #flushTimer: NodeJS.Timeout | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #pingTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #downSince: number | undefined;
  /** Notices received from other servers (metrics, tests). */
  received = 0;
  published = 0;

  constructor(private readonly options: NotifierOptions) {}

  async start(): Promise<void> {
    await this.#connect();
    this.#pingTimer = setInterval(() => void this.#client?.query('select 1').catch(() => this.#lost()), 10_000).unref();
  }

  get connected(): boolean {
    return this.#client !== undefined;
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.databaseUrl, application_name: 'parascribe-listen', keepAlive: true, connectionTimeoutMillis: 5_000 });
    client.on('error', () => this.#lost(client));
    client.on('end', () => this.#lost(client));
    client.on('notification', (message) => {
      if (message.channel === JOB_CHANNEL && message.payload) this.#receive(message.payload);
    });
    await client.connect();
    await client.query(`LISTEN ${JOB_CHANNEL}`);
    this.#client = client;
    if (this.#downSince !== undefined) {
      this.options.log(`change notifications reconnected after ${((Date.now() - this.#downSince) / 1000).toFixed(1)} s`);
      this.#downSince = undefined;
      this.options.onResync();
    }
  }

  #lost(client = this.#client): void {
    if (!client || client !== this.#client) return;
    this.#client = undefined;
    client.end().catch(() => undefined);
    if (this.#closed) return;
    if (this.#downSince === undefined) {
      this.#downSince = Date.now();
      this.options.log('change notifications: the listening connection to PostgreSQL dropped; reconnecting');
    }
    this.#retry(250);
  }

  #retry(delayMs: number): void {
    if (this.#closed || this.#reconnectTimer) return;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#connect().catch(() => this.#retry(Math.min(delayMs * 2, 2_000)));
    }, delayMs);
    this.#reconnectTimer.unref();
  }

  #receive(text: string): void {
    let payload: Payload;
    try {
      payload = JSON.parse(text) as Payload;
    } catch {
      return;
    }
    if (payload.f === this.options.instanceId) return;
    this.received++;
    for (const [jobId, stage] of payload.n ?? []) this.options.onNotice({ jobId, stage });
    for (const jobId of payload.c ?? []) this.options.onCancel(jobId);
  }

  /** Tells the other servers that the job changed (coalesced with other changes for a few ms). */
  publish(jobId: string, stage: string | null): void {
    if (this.#closed) return;
    this.#pending.set(jobId, stage);
    this.#flushTimer ??= setTimeout(() => void this.#flush(), this.options.coalesceMs ?? 5);
  }

  /** Asks whichever server runs the job to cancel it. */
  async requestCancel(jobId: string): Promise<void> {
    await this.#send({ f: this.options.instanceId, c: [jobId] });
  }

  async #flush(): Promise<void> {
    this.#flushTimer = undefined;
    const entries = [...this.#pending.entries()];
    this.#pending.clear();
    let batch: Array<[string, string | null]> = [];
    for (const entry of entries) {
      batch.push(entry);
      if (JSON.stringify(batch).length > MAX_PAYLOAD) {
        const last = batch.pop()!;
        await this.#send({ f: this.options.instanceId, n: batch });
        batch = [last];
      }
    }
    if (batch.length > 0) await this.#send({ f: this.options.instanceId, n: batch });
  }

  async #send(payload: Payload): Promise<void> {
    try {
      await this.options.store.notify(JOB_CHANNEL, JSON.stringify(payload));
      this.published++;
    } catch {
      // The store is away: the other servers' waiters time out and re-read it (at most a heartbeat late).
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#pingTimer);
    clearTimeout(this.#reconnectTimer);
    if (this.#flushTimer) {
      clearTimeout(this.#flushTimer);
      await this.#flush();
    }
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }
}
