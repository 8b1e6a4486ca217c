/**
 * Job leases and the live API servers, on a store several servers share (PostgreSQL only: the SQL
 * uses `now()` of the database, so every server reads one clock, and `FOR UPDATE SKIP LOCKED`).
 * Reached as `JobStore.cluster`; src/service/cluster/ drives it.
 *
 * A service job that is queued or running has a lease: `lease_holder` (an instance id) and
 * `lease_until`. The holder renews every lease it holds with its heartbeat; a job whose lease is
 * absent or lapsed has no live owner, and the first server whose sweep claims it (one atomic
 * UPDATE over rows locked with SKIP LOCKED, so two sweeps never claim the same job) runs it.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface InstanceInfo {
  id: string;
  host: string;
  pid: number;
  url: string | null;
}

export interface ClaimedJob {
  id: string;
  priority: string;
  /** The API key's tenant (per-key limits count the job for it). */
  owner: string;
  /** The server that held it before (null: none ever did, e.g. a job from before leases). */
  previousHolder: string | null;
  /** Seconds since the previous lease ran out (null when there was none). */
  lapsedSec: number | null;
  epoch: number;
}

export interface JobLease {
  id: string;
  status: string;
  holder: string | null;
  live: boolean;
}

const UNFINISHED = sql`('queued', 'running')`;
const leaseEnd = (leaseSec: number) => sql`now() + make_interval(secs => ${leaseSec})`;

export class ClusterStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** The instance's row, created or refreshed (a restart under the same id starts afresh). */
  async register(instance: InstanceInfo, leaseSec: number): Promise<void> {
    await sql`insert into service_instances (id, host, pid, url, started_at, heartbeat_at, lease_until)
              values (${instance.id}, ${instance.host}, ${instance.pid}, ${instance.url}, now(), now(), ${leaseEnd(leaseSec)})
              on conflict (id) do update set host = excluded.host, pid = excluded.pid, url = excluded.url,
                started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, lease_until = excluded.lease_until`.execute(this.db);
  }

  /** The heartbeat: the instance and every unfinished job it holds get `leaseSec` more. Returns the jobs renewed. */
  async heartbeat(instance: InstanceInfo, leaseSec: number): Promise<string[]> {
    await sql`insert into service_instances (id, host, pid, url, started_at, heartbeat_at, lease_until)
              values (${instance.id}, ${instance.host}, ${instance.pid}, ${instance.url}, now(), now(), ${leaseEnd(leaseSec)})
              on conflict (id) do update set heartbeat_at = excluded.heartbeat_at, lease_until = excluded.lease_until, url = excluded.url`.execute(this.db);
    const { rows } = await sql<{ id: string }>`update transcription_jobs set lease_until = ${leaseEnd(leaseSec)}
              where lease_holder = ${instance.id} and status in ${UNFINISHED} returning id`.execute(this.db);
    return rows.map((r) => r.id);
  }

  /** At start: the unfinished jobs an earlier process under this id held (it is gone: this is its successor). */
  async claimOwn(holder: string, leaseSec: number): Promise<ClaimedJob[]> {
    const { rows } = await sql<{ id: string; priority: string; owner: string; lease_epoch: number }>`update transcription_jobs
              set lease_until = ${leaseEnd(leaseSec)}, lease_epoch = lease_epoch + 1
              where lease_holder = ${holder} and owner is not null and status in ${UNFINISHED}
              returning id, priority, owner, lease_epoch`.execute(this.db);
    return rows.map((r) => ({ id: r.id, priority: r.priority, owner: r.owner, previousHolder: holder, lapsedSec: null, epoch: r.lease_epoch }));
  }

  /**
   * Claims up to `limit` unfinished service jobs with no live owner, most urgent first. Rows another
   * sweep has locked are skipped, not waited for, so concurrent sweeps split the jobs between them.
   */
  async claimLapsed(holder: string, leaseSec: number, limit: number): Promise<ClaimedJob[]> {
    if (limit <= 0) return [];
    const { rows } = await sql<{ id: string; priority: string; owner: string; prev: string | null; lapsed_sec: number | null; lease_epoch: number }>`
      with c as (
        select id, lease_holder as prev, lease_until as prev_until from transcription_jobs
         where owner is not null and status in ${UNFINISHED} and (lease_until is null or lease_until < now())
         order by case priority when 'critical' then 0 when 'normal' then 1 else 2 end, id
         limit ${limit} for update skip locked)
      update transcription_jobs j set lease_holder = ${holder}, lease_until = ${leaseEnd(leaseSec)}, lease_epoch = j.lease_epoch + 1
        from c where j.id = c.id
      returning j.id, j.priority, j.owner, c.prev, extract(epoch from (now() - c.prev_until))::float8 as lapsed_sec, j.lease_epoch`.execute(this.db);
    return rows.map((r) => ({ id: r.id, priority: r.priority, owner: r.owner, previousHolder: r.prev, lapsedSec: r.lapsed_sec === null ? null : Number(r.lapsed_sec), epoch: r.lease_epoch }));
  }

  /** A new job's first lease, inside the transaction that creates its row. */
  async claimNew(db: Kysely<Database>, jobId: string, holder: string, leaseSec: number): Promise<void> {
    await sql`update transcription_jobs set lease_holder = ${holder}, lease_until = ${leaseEnd(leaseSec)}, lease_epoch = 1 where id = ${jobId}`.execute(db);
  }

  /** A job that ended (or went back to the queue) has no live owner any more; the holder's name stays as history. */
  async endLease(jobId: string, holder: string): Promise<void> {
    await sql`update transcription_jobs set lease_until = null where id = ${jobId} and lease_holder = ${holder}`.execute(this.db);
  }

  /** A stopping server: its unfinished jobs are free for the others at once, and it leaves the live list. */
  async release(holder: string): Promise<string[]> {
    const { rows } = await sql<{ id: string }>`update transcription_jobs set lease_until = null
              where lease_holder = ${holder} and status in ${UNFINISHED} returning id`.execute(this.db);
    await sql`delete from service_instances where id = ${holder}`.execute(this.db);
    return rows.map((r) => r.id);
  }

  async leases(jobIds: readonly string[]): Promise<JobLease[]> {
    if (jobIds.length === 0) return [];
    const { rows } = await sql<{ id: string; status: string; lease_holder: string | null; live: boolean }>`
      select id, status, lease_holder, coalesce(lease_until > now(), false) as live from transcription_jobs where id = any(${[...jobIds]})`.execute(this.db);
    return rows.map((r) => ({ id: r.id, status: r.status, holder: r.lease_holder, live: r.live }));
  }

  /** Servers whose heartbeat is current. */
  async liveInstances(): Promise<Array<InstanceInfo & { heartbeatAgeSec: number }>> {
    const { rows } = await sql<{ id: string; host: string; pid: number; url: string | null; age: number }>`
      select id, host, pid, url, extract(epoch from (now() - heartbeat_at))::float8 as age from service_instances where lease_until > now() order by id`.execute(this.db);
    return rows.map((r) => ({ id: r.id, host: r.host, pid: r.pid, url: r.url, heartbeatAgeSec: Number(r.age) }));
  }

  /** Instances silent for over an hour are forgotten (a crashed server's row). */
  async pruneInstances(): Promise<void> {
    await sql`delete from service_instances where lease_until < now() - interval '1 hour'`.execute(this.db);
  }

  /**
   * The secret named `name` that every server of the store shares: the first server to ask creates it
   * (`fresh`, base64url), every later one reads that one.
   */
  async sharedSecret(name: string, fresh: string): Promise<string> {
    await sql`insert into cluster_secrets (name, value) values (${name}, ${fresh}) on conflict (name) do nothing`.execute(this.db);
    const { rows } = await sql<{ value: string }>`select value from cluster_secrets where name = ${name}`.execute(this.db);
    return rows[0]!.value;
  }

  /** PostgreSQL NOTIFY on `channel` (delivered to every session LISTENing there, src/service/cluster/notifier.ts). */
  async notify(channel: string, payload: string): Promise<void> {
    await sql`select pg_notify(${channel}, ${payload})`.execute(this.db);
  }
}
