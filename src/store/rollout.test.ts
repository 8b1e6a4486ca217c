/**
 * The rollout store on every driver: shadow rows (one per segment and kind, read back in id order for
 * /metrics), canary counts added by concurrent callers without losing any, and a verdict written once.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { storeDriverCases } from '../../test/helpers/store-drivers.js';
import { nowSec } from '../core/time.js';
import { openStore } from './registry.js';

const drivers = await storeDriverCases('rollout');
after(async () => {
  for (const driver of drivers) await driver.cleanup();
});

for (const driver of drivers) {
  describe(`rollout store (${driver.name})`, { skip: driver.skip }, () => {
    test('shadow rows: first per segment and kind wins; read after an id, oldest first', async () => {
      const store = await openStore(await driver.settings());
      try {
        await store.createJob({ id: 'jshadow1', source: '/a.wav', segmentSec: 60, backend: 'prod', format: 'txt', language: null, priority: 'normal', options: {} });
        const before = await store.rollout.lastShadowId();
        const row = { job_id: 'jshadow1', backend: 'prod', reference: 'ref', wer: 0.25, reference_words: 8, backend_sec: 1.5, reference_sec: 2, error_code: null, error: null };
        assert.equal(await store.rollout.insertShadow({ ...row, idx: 0, kind: 'shadow' }), true);
        assert.equal(await store.rollout.insertShadow({ ...row, idx: 0, kind: 'shadow', wer: 0.9 }), false, 'a second shadow of the segment is dropped');
        assert.equal(await store.rollout.insertShadow({ ...row, idx: 0, kind: 'canary', backend: 'cand', reference: 'prod' }), true);
        assert.equal(await store.rollout.insertShadow({ ...row, idx: 1, kind: 'shadow', wer: null, reference_words: null, error_code: 'BACKEND_FAILED', error: 'HTTP 500' }), true);
        const rows = await store.rollout.shadowsAfter(before);
        assert.deepEqual(rows.map((r) => [r.idx, r.kind, r.wer]), [[0, 'shadow', 0.25], [0, 'canary', 0.25], [1, 'shadow', null]]);
        assert.ok(rows[0]!.id < rows[1]!.id && rows[1]!.id < rows[2]!.id);
        assert.ok(Math.abs(rows[0]!.created_at - nowSec()) < 60, 'times read as epoch seconds');
        assert.deepEqual(await store.rollout.shadowsAfter(rows[1]!.id), [rows[2]]);
        assert.equal(await store.rollout.lastShadowId(), rows[2]!.id);
        assert.equal((await store.rollout.listShadows('jshadow1')).length, 3);
      } finally {
        await store.close();
      }
    });

    test('canary rollout: counts from concurrent callers add up; the verdict moves once and rolled-back is final', async () => {
      const store = await openStore(await driver.settings());
      try {
        const fresh = await store.rollout.ensureRollout('cand@1', 'cand', 'prod');
        assert.deepEqual([fresh.status, fresh.segments, fresh.errors], ['active', 0, 0]);
        await store.rollout.ensureRollout('cand@1', 'cand', 'prod'); // already there: untouched
        await Promise.all(Array.from({ length: 20 }, (_, i) => store.rollout.addCanarySegment('cand@1', i % 4 === 0)));
        const row = await store.rollout.addCanaryComparison('cand@1', { wer: 0.5, candidateSec: 2, referenceSec: 4 });
        assert.deepEqual([row!.segments, row!.errors, row!.compared, row!.wer_sum, row!.candidate_sec, row!.reference_sec], [20, 5, 1, 0.5, 2, 4]);
        assert.equal(await store.rollout.addCanarySegment('unknown', false), undefined);

        const since = nowSec() - 1;
        const verdicts = await Promise.all([store.rollout.decide('cand@1', 'rolled-back', 'error rate'), store.rollout.decide('cand@1', 'rolled-back', 'error rate')]);
        assert.deepEqual(verdicts.sort(), [false, true], 'one caller moves it');
        assert.equal(await store.rollout.decide('cand@1', 'ready', 'passed'), false, 'rolled back is final');
        const decided = await store.rollout.getRollout('cand@1');
        assert.deepEqual([decided!.status, decided!.reason], ['rolled-back', 'error rate']);
        assert.ok(decided!.decided_at !== null);
        assert.deepEqual(await store.rollout.countRollbacksSince(since), [{ backend: 'cand', count: 1 }]);
        assert.deepEqual(await store.rollout.countRollbacksSince(nowSec() + 60), []);

        await store.rollout.ensureRollout('good@1', 'good', 'prod');
        assert.equal(await store.rollout.decide('good@1', 'ready', 'passed'), true);
        assert.equal(await store.rollout.decide('good@1', 'ready', 'passed'), false, 'already ready');
        assert.deepEqual((await store.rollout.listRollouts(['good'])).map((r) => r.status), ['ready']);
        assert.equal((await store.rollout.listRollouts()).length, 2);
        assert.deepEqual(await store.rollout.listRollouts([]), []);
      } finally {
        await store.close();
      }
    });
  });
}
