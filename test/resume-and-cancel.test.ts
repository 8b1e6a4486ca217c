/**
 * A job killed half-way (kill -9) leaves its finished segments usable: the re-run transcribes only
 * the rest. Ctrl-C cancels cleanly: exit 130, job cancelled, no output file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BIN, FIXTURES, parseJsonLines, runCli, tempDir } from './helpers/cli.js';

const audio = join(FIXTURES, 'gpl-preamble.mp3');

/** Starts a transcription and waits until `ready(db)` holds, polling the job database. */
async function startAndWait(args: string[], env: Record<string, string>, ready: (db: Database.Database) => boolean, timeoutMs = 180_000) {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const dbPath = join(env.PARASCRIBE_DATA_DIR!, 'parascribe.sqlite');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    assert.ok(Date.now() < deadline, `condition not reached in time; stderr: ${stderr}`);
    if (child.exitCode !== null) assert.fail(`exited early: ${stderr}`);
    if (existsSync(dbPath)) {
      const db = new Database(dbPath, { readonly: true, timeout: 5000 });
      try {
        if (ready(db)) break;
      } catch {
        // tables not migrated yet
      } finally {
        db.close();
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, exited, stderr: () => stderr };
}

const completedCount = (db: Database.Database) =>
  (db.prepare("SELECT count(*) AS n FROM transcription_segments WHERE status = 'completed'").get() as { n: number }).n;

test('kill -9 half-way, run again: only the unfinished segments are transcribed', async () => {
  const dir = tempDir('resume');
  const env = { PARASCRIBE_DATA_DIR: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
  const output = join(dir, 'gpl.txt');
  const args = ['transcribe', audio, '--segment-sec', '30', '-o', output, '--json'];

  const first = await startAndWait([...args, '--concurrency', '1'], env, (db) => completedCount(db) >= 2);
  first.child.kill('SIGKILL');
  await first.exited;
  assert.equal(existsSync(output), false, 'no output from the killed run');
  const db = new Database(join(env.PARASCRIBE_DATA_DIR, 'parascribe.sqlite'), { readonly: true });
  const done = db.prepare("SELECT idx FROM transcription_segments WHERE status = 'completed' ORDER BY idx").all() as Array<{ idx: number }>;
  const total = (db.prepare('SELECT count(*) AS n FROM transcription_segments').get() as { n: number }).n;
  db.close();
  assert.ok(done.length >= 2 && done.length < total, `${done.length} of ${total} done when killed`);

  const second = await runCli([...args, '--concurrency', '2'], env);
  assert.equal(second.code, 0, second.stderr);
  const summary = parseJsonLines(second.stdout)[0]!;
  assert.equal(summary.segmentsReused, done.length);
  assert.equal(summary.segments, total);
  assert.ok(readFileSync(output, 'utf8').length > 2000, 'a full transcript');

  const show = JSON.parse((await runCli(['jobs', 'show', String(summary.jobId), '--json'], env)).stdout) as {
    segments: Array<{ index: number; status: string; attempts: number; reusedFromJob: string | null }>;
  };
  const reused = show.segments.filter((s) => s.reusedFromJob).map((s) => s.index);
  assert.deepEqual(reused, done.map((d) => d.idx), 'exactly the finished segments are reused');
  assert.ok(show.segments.filter((s) => !s.reusedFromJob).every((s) => s.status === 'completed' && s.attempts === 1));
  const jobs = JSON.parse((await runCli(['jobs', '--json'], env)).stdout) as Array<{ status: string }>;
  assert.deepEqual(jobs.map((j) => j.status).sort(), ['completed', 'interrupted']);
  assert.deepEqual(readdirSync(join(env.PARASCRIBE_DATA_DIR, 'work')), [], 'scratch files of both runs are gone');

  // The resumed job's transcript is complete, so it is cached like any other.
  const third = await runCli([...args, '--concurrency', '2'], env);
  assert.equal(third.code, 0, third.stderr);
  assert.equal(parseJsonLines(third.stdout)[0]!.cacheHit, true);
});

test('SIGINT cancels: exit 130, running segments aborted, job cancelled, no output file', async () => {
  const dir = tempDir('cancel');
  const env = { PARASCRIBE_DATA_DIR: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
  const output = join(dir, 'gpl.txt');
  const run = await startAndWait(['transcribe', audio, '--segment-sec', '60', '-o', output], env, (db) =>
    (db.prepare("SELECT count(*) AS n FROM transcription_segments WHERE status = 'running'").get() as { n: number }).n > 0,
  );
  const sentAt = Date.now();
  run.child.kill('SIGINT');
  const { code } = await run.exited;
  assert.equal(code, 130, run.stderr());
  assert.ok(Date.now() - sentAt < 10_000, 'cancellation does not wait for segments to finish');
  assert.match(run.stderr(), /error\[ABORTED\]/);
  assert.equal(existsSync(output), false);
  const jobs = JSON.parse((await runCli(['jobs', '--json'], env)).stdout) as Array<{ status: string; error_code: string }>;
  assert.equal(jobs[0]!.status, 'cancelled');
  const show = JSON.parse((await runCli(['jobs', 'show', (jobs[0] as unknown as { id: string }).id, '--json'], env)).stdout) as { segments: Array<{ status: string }> };
  assert.ok(show.segments.every((s) => s.status !== 'running'), 'no segment left running');
});
