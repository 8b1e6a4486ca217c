/**
 * End to end on PostgreSQL: the built CLI, pointed at a database by PARASCRIBE_DATABASE_URL, transcribes
 * real speech, and `parascribe jobs` reads the job back from that database (no SQLite file appears).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, postgresSkipReason, queryDatabase, type TestDatabase } from './helpers/postgres.js';
import { FIXTURES, parseJsonLines, runCli, tempDir } from './helpers/cli.js';

const pgSkip = await postgresSkipReason();

describe('CLI on PostgreSQL', { skip: pgSkip }, () => {
  let database: TestDatabase;
  const dir = tempDir('pg-e2e');
  let env: Record<string, string>;

  before(async () => {
    database = await createTestDatabase();
    env = { PARASCRIBE_DATA_DIR: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config'), PARASCRIBE_DATABASE_URL: database.url };
  });
  after(async () => {
    await database?.drop();
  });

  test('transcribe --json completes; jobs --json and jobs show list it from PostgreSQL', async () => {
    const output = join(dir, 'jfk.txt');
    const run = await runCli(['transcribe', join(FIXTURES, 'jfk.wav'), '-o', output, '--segment-sec', '5', '--concurrency', '2', '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const summary = parseJsonLines(run.stdout)[0]!;
    assert.equal(summary.status, 'completed');
    assert.ok(Number(summary.segments) >= 2, 'several segments, written concurrently');
    assert.match(readFileSync(output, 'utf8').toLowerCase(), /country/);
    assert.ok(!existsSync(join(dir, 'data', 'parascribe.sqlite')), 'no SQLite store was opened');

    const listed = await runCli(['jobs', '--json'], env);
    assert.equal(listed.code, 0, listed.stderr);
    const jobs = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    assert.equal(jobs.length, 1);
    const job = jobs[0]!;
    assert.equal(job.id, summary.jobId);
    assert.equal(job.status, 'completed');
    for (const key of ['created_at', 'started_at', 'completed_at', 'duration_sec', 'gpu_elapsed_sec', 'chunk_count', 'wall_sec']) {
      assert.equal(typeof job[key], 'number', `${key} is a number`);
    }
    assert.equal(job.chunk_count, summary.segments);
    assert.ok(Math.abs(Number(job.wall_sec) - Number(summary.wallSec)) < 0.5, `wall ${String(job.wall_sec)} vs ${String(summary.wallSec)}`);

    const shown = await runCli(['jobs', 'show', String(summary.jobId), '--json'], env);
    assert.equal(shown.code, 0, shown.stderr);
    const show = JSON.parse(shown.stdout) as { segments: Array<{ status: string }> };
    assert.equal(show.segments.length, summary.segments);
    assert.ok(show.segments.every((s) => s.status === 'completed'));

    // The row as PostgreSQL holds it: timestamptz, and the seed study's wall-clock expression agrees.
    const [row] = await queryDatabase<{ kind: string; wall: string }>(
      database.url,
      "select pg_typeof(completed_at)::text as kind, extract(epoch from (completed_at - started_at))::text as wall from transcription_jobs where id = $1",
      [summary.jobId],
    );
    assert.equal(row!.kind, 'timestamp with time zone');
    assert.ok(Math.abs(Number(row!.wall) - Number(job.wall_sec)) < 0.002);
  });

  test('an unreachable database is one error line with the config exit code', async () => {
    const run = await runCli(['jobs', '--json'], { ...env, PARASCRIBE_DATABASE_URL: 'postgres://postgres:pw-not-shown@127.0.0.1:1/parascribe' });
    assert.equal(run.code, 12, run.stderr);
    assert.match(run.stderr, /^parascribe: error\[INVALID_CONFIG\]: cannot connect to PostgreSQL at postgres@127\.0\.0\.1:1\/parascribe: .+\n$/);
    assert.ok(!run.stderr.includes('pw-not-shown'));
  });
});
