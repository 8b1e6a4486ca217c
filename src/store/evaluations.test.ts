/** Stored `parascribe eval` runs on both drivers: rows in order, the newest runs, and each row's previous result. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { storeDriverCases } from '../../test/helpers/store-drivers.js';
import { compareKey, type NewEvaluation } from './evaluations.js';
import type { JobStore } from './jobs.js';
import { openStore } from './registry.js';

const row = (file: string, backend: string, wer: number | null, status: 'ok' | 'failed' = 'ok'): NewEvaluation => ({
  file, backend, status, job_id: 'j1', duration_sec: 60.5, wall_sec: 12.25, compute_sec: 20, cost_usd: 0.006, segments: 2,
  ref_words: 100, word_errors: wer === null ? null : Math.round(wer * 100), ref_chars: 500, char_errors: 20, wer, cer: 0.04,
  seams_json: JSON.stringify({ skipped: 'one segment: no cuts' }), error: status === 'failed' ? 'BACKEND_FAILED: boom' : null,
});

for (const driver of await storeDriverCases('evaluations')) {
  describe(`evaluations on ${driver.name}`, { skip: driver.skip }, () => {
    let store: JobStore;
    before(async () => {
      store = await openStore(await driver.settings());
    });
    after(async () => {
      await store?.close();
      await driver.cleanup();
    });

    test('insertRun / listRun / latestRuns / previousOf', async () => {
      const many = Array.from({ length: 120 }, (_, i) => row(`/a/${String(i).padStart(3, '0')}.wav`, 'pocketsphinx', 0.1));
      await store.evaluations.insertRun('rone', 1_000, [row('/a/x.wav', 'pocketsphinx', 0.2), row('/a/x.wav', 'remote', 0.3), ...many]);
      await store.evaluations.insertRun('rtwo', 2_000, [row('/a/x.wav', 'pocketsphinx', 0.25), row('/a/x.wav', 'remote', null, 'failed')]);
      await store.evaluations.insertRun('rthree', 3_000, [row('/a/x.wav', 'pocketsphinx', 0.15), row('/a/x.wav', 'remote', 0.35), row('/a/new.wav', 'remote', 0.5)]);

      const one = await store.evaluations.listRun('rone');
      assert.equal(one.length, 122);
      assert.deepEqual(one.slice(0, 3).map((r) => [r.file, r.backend]), [['/a/x.wav', 'pocketsphinx'], ['/a/x.wav', 'remote'], ['/a/000.wav', 'pocketsphinx']]);
      assert.deepEqual(
        [one[0]!.created_at, one[0]!.duration_sec, one[0]!.wall_sec, one[0]!.segments, one[0]!.wer, one[0]!.word_errors, one[0]!.status],
        [1_000, 60.5, 12.25, 2, 0.2, 20, 'ok'],
      );
      assert.deepEqual(await store.evaluations.latestRuns(2), [{ runId: 'rthree', createdAtSec: 3_000 }, { runId: 'rtwo', createdAtSec: 2_000 }]);

      // rthree's previous: the newest earlier *successful* row of each file and backend.
      const previous = await store.evaluations.previousOf('rthree', 3_000, await store.evaluations.listRun('rthree'));
      assert.equal(previous.get(compareKey({ file: '/a/x.wav', backend: 'pocketsphinx' }))?.run_id, 'rtwo');
      assert.equal(previous.get(compareKey({ file: '/a/x.wav', backend: 'remote' }))?.run_id, 'rone', 'the failed row of rtwo is skipped');
      assert.equal(previous.has(compareKey({ file: '/a/new.wav', backend: 'remote' })), false);
      assert.equal((await store.evaluations.previousOf('rone', 1_000, one)).size, 0);
    });
  });
}
