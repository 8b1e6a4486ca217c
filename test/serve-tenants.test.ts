/**
 * 50 jobs submitted at once by 5 API keys against one `parascribe serve`: all complete, each key sees
 * exactly its own jobs (another key's job is a 404), and /metrics agrees with the database.
 */
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { FIXTURES, ffmpeg, tempDir } from './helpers/cli.js';
import { authHeaders, startServer, submitFile, TEST_KEYS, waitForJob, type RunningServer } from './helpers/server.js';

function metricValue(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

function metricSum(text: string, name: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

describe('parascribe serve: 5 keys, 50 concurrent jobs', { timeout: 600_000 }, () => {
  let server: RunningServer;
  let clips: string[];

  before(async () => {
    const dir = tempDir('tenants');
    // 50 different 4 s clips of real speech (different audio, so no cache hits between jobs).
    ffmpeg(['-i', join(FIXTURES, 'gpl-preamble.mp3'), '-f', 'segment', '-segment_time', '4', '-ar', '16000', '-ac', '1', join(dir, 'clip%03d.wav')]);
    clips = readdirSync(dir).filter((f) => f.startsWith('clip')).sort().slice(0, 50).map((f) => join(dir, f));
    assert.equal(clips.length, 50);
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ serve: { maxConcurrentJobs: 2, rateLimit: { requestsPerSec: 200, burst: 200 } } }));
    server = await startServer({ env: { PARASCRIBE_CONFIG: config } });
  });

  after(async () => {
    await server?.stop();
  });

  it('all complete, each key sees only its own, and /metrics matches the database', async () => {
    const submissions = await Promise.all(
      clips.map(async (clip, i) => {
        const key = TEST_KEYS[i % TEST_KEYS.length]!;
        const { status, body } = await submitFile(server.url, clip, { language: 'en' }, key, `clip-${i}.wav`);
        assert.equal(status, 202, JSON.stringify(body));
        return { id: body.id as string, key };
      }),
    );
    const jobs = await Promise.all(submissions.map(({ id, key }) => waitForJob(server.url, id, key, 300_000)));
    assert.deepEqual(
      jobs.map((j) => j.status),
      Array(50).fill('completed'),
    );

    for (const key of TEST_KEYS) {
      const response = await fetch(`${server.url}/v1/jobs?limit=100`, { headers: authHeaders(key) });
      const list = (await response.json()) as { data: Array<{ id: string }> };
      const mine = submissions.filter((s) => s.key === key).map((s) => s.id).sort();
      assert.deepEqual(list.data.map((j) => j.id).sort(), mine, `key ${key} sees exactly its 10 jobs`);
    }
    // Pagination walks the same 10 without repeats.
    const firstPage = (await (await fetch(`${server.url}/v1/jobs?limit=4`, { headers: authHeaders(TEST_KEYS[0]) })).json()) as { data: Array<{ id: string }>; has_more: boolean; next_before: string };
    assert.equal(firstPage.data.length, 4);
    assert.equal(firstPage.has_more, true);
    const secondPage = (await (await fetch(`${server.url}/v1/jobs?limit=100&before=${firstPage.next_before}`, { headers: authHeaders(TEST_KEYS[0]) })).json()) as { data: Array<{ id: string }> };
    assert.equal(secondPage.data.length, 6);
    assert.equal(new Set([...firstPage.data, ...secondPage.data].map((j) => j.id)).size, 10);

    // Another key's job: 404 on every route, indistinguishable from a job that does not exist.
    const foreign = submissions.find((s) => s.key === TEST_KEYS[1])!.id;
    for (const path of [`/v1/jobs/${foreign}`, `/v1/jobs/${foreign}/transcript`, `/v1/jobs/${foreign}/events`]) {
      const response = await fetch(`${server.url}${path}`, { headers: authHeaders(TEST_KEYS[0]) });
      assert.equal(response.status, 404, path);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'JOB_NOT_FOUND');
    }
    assert.equal((await fetch(`${server.url}/v1/jobs/${foreign}`, { method: 'DELETE', headers: authHeaders(TEST_KEYS[0]) })).status, 404);

    const metrics = await (await fetch(`${server.url}/metrics`, { headers: authHeaders() })).text();
    const db = new Database(join(server.dataDir, 'parascribe.sqlite'), { readonly: true });
    try {
      const completed = (db.prepare("SELECT count(*) AS n FROM transcription_jobs WHERE status = 'completed'").get() as { n: number }).n;
      const segments = (db.prepare('SELECT count(*) AS n FROM transcription_segments').get() as { n: number }).n;
      const audioSec = (db.prepare("SELECT sum(duration_sec) AS s FROM transcription_jobs WHERE status = 'completed'").get() as { s: number }).s;
      assert.equal(completed, 50);
      assert.equal(metricValue(metrics, 'parascribe_jobs', 'status="completed"'), completed);
      assert.equal(metricValue(metrics, 'parascribe_job_duration_seconds_count', 'status="completed"'), completed);
      assert.equal(metricSum(metrics, 'parascribe_segments_total'), segments);
      assert.ok(Math.abs(metricValue(metrics, 'parascribe_audio_seconds_total') - audioSec) < 0.01, `audio seconds ${audioSec}`);
      assert.equal(metricValue(metrics, 'parascribe_queue_depth'), 0);
      assert.equal(metricValue(metrics, 'parascribe_jobs_running'), 0);
    } finally {
      db.close();
    }
  });
});
