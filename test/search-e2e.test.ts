/**
 * `parascribe search` end to end, on SQLite and on PostgreSQL: real speech transcribed by pocketsphinx
 * through the built CLI, then found by a word of its transcript (the table and --json); a second run
 * of the same file, answered from the transcript cache, is found too; both stores answer alike.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, parseJsonLines, runCli } from './helpers/cli.js';
import { storeDriverCases } from './helpers/store-drivers.js';

const audio = join(FIXTURES, 'jfk.wav');

interface Hit {
  job_id: string;
  source: string;
  segment_index: number;
  start_sec: number;
  end_sec: number;
  snippet: string;
  score: number;
}

/** What each store answered for the same search, job ids left out (they differ). */
const answers = new Map<string, unknown>();

for (const driver of await storeDriverCases('search-e2e')) {
  describe(`parascribe search on ${driver.name}`, { skip: driver.skip, timeout: 300_000 }, () => {
    let env: Record<string, string>;
    let jobId: string;
    let word: string;

    before(async () => {
      const settings = await driver.settings();
      env = {
        PARASCRIBE_DATA_DIR: settings.dataDir,
        XDG_CONFIG_HOME: join(settings.dataDir, 'config'),
        PARASCRIBE_CONFIG: '',
        ...(settings.databaseUrl ? { PARASCRIBE_DATABASE_URL: settings.databaseUrl } : {}),
      };
      const output = join(settings.dataDir, 'jfk.txt');
      const run = await runCli(['transcribe', audio, '--backend', 'pocketsphinx', '-o', output, '--json', '-q'], env);
      assert.equal(run.code, 0, run.stderr);
      jobId = String(parseJsonLines(run.stdout)[0]!.jobId);
      // The longest word pocketsphinx heard ("country", as it happens): whatever it heard is what is indexed.
      const words = readFileSync(output, 'utf8').toLowerCase().match(/[a-z]+/g) ?? [];
      word = words.reduce((best, w) => (w.length > best.length ? w : best), '');
      assert.ok(word.length >= 4, `a word to search for in ${JSON.stringify(words)}`);
    });

    after(async () => {
      await driver.cleanup();
    });

    test('a word of the transcript finds the job: file, time, snippet (table and --json)', async () => {
      const json = await runCli(['search', word, '--json'], env);
      assert.equal(json.code, 0, json.stderr);
      const answer = JSON.parse(json.stdout) as { query: string; data: Hit[]; has_more: boolean; next_offset: number | null };
      assert.equal(answer.query, word);
      assert.equal(answer.has_more, false);
      assert.ok(answer.data.length >= 1);
      const hit = answer.data[0]!;
      assert.equal(hit.job_id, jobId);
      assert.equal(hit.source, 'jfk.wav');
      assert.equal(hit.start_sec, 0);
      assert.ok(hit.end_sec > 10 && hit.end_sec < 12, `end ${hit.end_sec}`);
      assert.match(hit.snippet, new RegExp(`«${word}»`, 'i'));
      assert.ok(hit.score > 0);
      answers.set(driver.name, answer.data.map(({ job_id: _id, score: _score, ...rest }) => rest));

      const plain = await runCli(['search', word.toUpperCase()], env);
      assert.equal(plain.code, 0, plain.stderr);
      const lines = plain.stdout.trimEnd().split('\n');
      assert.match(lines[0]!, /^job\s+file\s+time\s+snippet$/);
      assert.match(lines[2]!, new RegExp(`^${jobId}\\s+jfk\\.wav\\s+00:00:00-00:00:1[01]\\s+.*«${word}»`, 'i'));
    });

    test('a second run of the same file, answered from the transcript cache, is found as well', async () => {
      const again = await runCli(['transcribe', audio, '--backend', 'pocketsphinx', '-o', join(env.PARASCRIBE_DATA_DIR!, 'again.txt'), '--json', '-q'], env);
      assert.equal(again.code, 0, again.stderr);
      const summary = parseJsonLines(again.stdout)[0]!;
      assert.equal(summary.cacheHit, true);
      const answer = JSON.parse((await runCli(['search', word, '--json'], env)).stdout) as { data: Hit[] };
      assert.deepEqual(answer.data.map((h) => h.job_id).sort(), [jobId, String(summary.jobId)].sort());
    });

    test('no match prints "no matches" (exit 0); a query without words is exit 2 with one clear line', async () => {
      const none = await runCli(['search', 'xylophonequartz'], env);
      assert.equal(none.code, 0, none.stderr);
      assert.equal(none.stdout, 'no matches\n');
      const bad = await runCli(['search', '?!'], env);
      assert.equal(bad.code, 2);
      assert.equal(bad.stdout, '');
      assert.match(bad.stderr, /^parascribe: error\[INVALID_ARGUMENT\]: the search query "\?!" has no words to search for/);
      const limit = await runCli(['search', word, '--limit', '0'], env);
      assert.equal(limit.code, 2);
      assert.match(limit.stderr, /limit must be an integer/);
    });
  });
}

test('SQLite and PostgreSQL: the same hits for the same transcript', (t) => {
  if (answers.size < 2) return t.skip('needs both stores');
  assert.deepEqual(answers.get('postgres'), answers.get('sqlite'));
});
