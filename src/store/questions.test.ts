/** QuestionStore on both drivers: rows round-trip, times are epoch seconds, a job's delete takes its questions. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '../../test/helpers/postgres.js';
import type { JobStore } from './jobs.js';
import type { NewQuestion } from './questions.js';
import { openStore, type StoreSettings } from './registry.js';

const pgSkip = await postgresSkipReason();
const drivers: Array<{ name: string; skip: string | false; open(): Promise<StoreSettings>; cleanup(): Promise<void> }> = [];
{
  let dir = '';
  drivers.push({ name: 'sqlite', skip: false, open: async () => ({ dataDir: (dir = mkdtempSync(join(tmpdir(), 'parascribe-q-'))) }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) });
  let database: TestDatabase | undefined;
  drivers.push({
    name: 'postgres',
    skip: pgSkip,
    open: async () => ({ dataDir: mkdtempSync(join(tmpdir(), 'parascribe-q-pg-')), databaseUrl: (database = await createTestDatabase()).url }),
    cleanup: async () => database?.drop(),
  });
}

const question = (jobId: string, extra: Partial<NewQuestion> = {}): NewQuestion => ({
  job_id: jobId,
  status: 'answered',
  question: 'what about the budget?',
  answer: 'Cut in half [00:12:34].',
  strategy: 'retrieve',
  model: 'fake-chat-1',
  coverage_json: JSON.stringify({ complete: true }),
  citations_json: JSON.stringify({ valid: [{ marker: '[00:12:34]', sec: 754 }], dropped: [] }),
  input_tokens: 1200,
  output_tokens: 40,
  tokens_estimated: 0,
  llm_calls: 1,
  cost_usd: 0.0003,
  first_token_sec: 0.42,
  wall_sec: 1.5,
  error_code: null,
  error: null,
  ...extra,
});

for (const driver of drivers) {
  describe(`questions on ${driver.name}`, { skip: driver.skip }, () => {
    let store: JobStore;
    before(async () => {
      store = await openStore(await driver.open());
      for (const id of ['jq1', 'jq2']) {
        await store.createJob({ id, source: '/a.mp3', segmentSec: 60, backend: 'pocketsphinx', format: 'txt', language: 'en', priority: 'normal', options: {} });
      }
    });
    after(async () => {
      await store?.close();
      await driver.cleanup();
    });

    test('insert and list: oldest first, one job only, every column back as written', async () => {
      const first = await store.questions.insert(question('jq1', { createdAtSec: 1_800_000_000.25 }));
      await store.questions.insert(question('jq1', { question: 'and then?', status: 'failed', error_code: 'LLM_FAILED', error: 'HTTP 503', createdAtSec: 1_800_000_100 }));
      await store.questions.insert(question('jq2'));
      const rows = await store.questions.list('jq1');
      assert.deepEqual(rows.map((r) => r.question), ['what about the budget?', 'and then?']);
      assert.equal(rows[0]!.id, first.id);
      assert.match(first.id, /^q[0-9a-z]+$/);
      assert.equal(rows[0]!.created_at, 1_800_000_000.25);
      assert.equal(rows[0]!.cost_usd, 0.0003);
      assert.equal(rows[0]!.input_tokens, 1200);
      assert.equal(rows[0]!.first_token_sec, 0.42);
      assert.equal(rows[1]!.error_code, 'LLM_FAILED');
      assert.equal(await store.questions.count('jq1'), 2);
      assert.equal(await store.questions.count('jq2'), 1);
    });

    test("a job's questions go with it", async () => {
      await store.query(sql`delete from transcription_jobs where id = 'jq2'`);
      assert.equal(await store.questions.count('jq2'), 0);
    });
  });
}
