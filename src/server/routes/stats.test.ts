/**
 * `GET /v1/stats` on both stores, in process: a key sees its own jobs' numbers, an admin key every
 * owner's and the CLI's; the numbers are those of `store.stats.report` (checked against SQL in
 * src/store/stats.test.ts) and of `parascribe stats --json`; bad parameters are 400s.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { storeDriverCases } from '../../../test/helpers/store-drivers.js';
import { configSchema } from '../../config/schema.js';
import { nowSec } from '../../core/time.js';
import { statsView } from '../../ops/stats/view.js';
import { openRuntime, type Runtime } from '../../runtime.js';
import { TranscriptionService } from '../../service/service.js';
import { createApp } from '../app.js';
import { ownerOfKey } from '../auth/index.js';

const KEY_A = 'stats-route-key-a-0123456789';
const KEY_B = 'stats-route-key-b-0123456789';
const ADMIN = 'stats-route-admin-0123456789';

/** id, owner, backend, status, audio seconds, turnaround seconds. */
const JOBS: Array<[string, string | null, string, 'completed' | 'failed', number, number]> = [
  ['jstatsa0001', ownerOfKey(KEY_A), 'pocketsphinx', 'completed', 600, 30],
  ['jstatsa0002', ownerOfKey(KEY_A), 'remote', 'completed', 120, 10],
  ['jstatsa0003', ownerOfKey(KEY_A), 'remote', 'failed', 60, 5],
  ['jstatsb0001', ownerOfKey(KEY_B), 'pocketsphinx', 'completed', 300, 50],
  ['jstatscli01', null, 'pocketsphinx', 'completed', 900, 70],
];

for (const driver of await storeDriverCases('stats-route')) {
  describe(`GET /v1/stats on ${driver.name}`, { skip: driver.skip }, () => {
    let runtime: Runtime;
    let service: TranscriptionService;
    let request: (path: string, key?: string) => Promise<{ status: number; body: any }>;

    before(async () => {
      const settings = await driver.settings();
      runtime = await openRuntime(configSchema.parse({ ...settings, serve: { apiKeys: [KEY_A, KEY_B], adminKeys: [ADMIN] } }));
      service = new TranscriptionService({ runtime });
      const { app } = createApp(service);
      request = async (path, key) => {
        const response = await app.request(path, { headers: key ? { authorization: `Bearer ${key}` } : {} });
        return { status: response.status, body: await response.json() };
      };
      const now = Math.floor(nowSec()); // whole seconds: exact on timestamptz (milliseconds) too
      for (const [id, owner, backend, status, audio, turnaround] of JOBS) {
        await runtime.store.createJob({ id, source: `/in/${id}`, owner, segmentSec: 60, backend, format: 'txt', language: 'en', priority: 'normal', options: {} });
        await runtime.store.updateJob(id, { status, created_at: now - 3600, started_at: now - 3600, completed_at: now - 3600 + turnaround, duration_sec: audio });
      }
    });

    after(async () => {
      await service?.stop();
      await runtime?.close();
      await driver.cleanup();
    });

    test("a key sees its own jobs' numbers; an admin key everyone's and the CLI's", async () => {
      const a = await request('/v1/stats', KEY_A);
      assert.equal(a.status, 200);
      assert.equal(a.body.object, 'stats');
      assert.equal(a.body.scope, 'key');
      assert.deepEqual([a.body.total.jobs, a.body.total.completed, a.body.total.failed], [3, 2, 1]);
      assert.deepEqual(a.body.backends.map((b: any) => [b.backend, b.jobs]), [['pocketsphinx', 1], ['remote', 2]]);
      assert.equal(a.body.total.audio_hours, 720 / 3600);
      assert.equal(a.body.total.error_rate, 1 / 3);
      assert.deepEqual(a.body.total.turnaround_sec, { p50: 20, p95: 29, p99: 29.8 });

      const b = await request('/v1/stats', KEY_B);
      assert.deepEqual([b.body.scope, b.body.total.jobs, b.body.total.audio_hours], ['key', 1, 300 / 3600]);

      const admin = await request('/v1/stats', ADMIN);
      assert.equal(admin.status, 200);
      assert.deepEqual([admin.body.scope, admin.body.total.jobs], ['all', 5]);
      assert.deepEqual(admin.body.backends.map((s: any) => [s.backend, s.jobs]), [['pocketsphinx', 3], ['remote', 2]]);
      // The same document as the store's report through the shared view (what `parascribe stats --json` prints).
      const report = await runtime.store.stats.report({ sinceSec: Date.parse(admin.body.since) / 1000 }, Date.parse(admin.body.until) / 1000);
      assert.deepEqual(admin.body, statsView(report, 'all'));
    });

    test('?backend= and ?since= narrow the window; bad values are 400s; no key is 401', async () => {
      const remote = await request('/v1/stats?backend=remote', ADMIN);
      assert.deepEqual([remote.body.backend, remote.body.total.jobs, remote.body.backends.length], ['remote', 2, 1]);
      const recent = await request('/v1/stats?since=30m', ADMIN);
      assert.equal(recent.body.total.jobs, 0);
      const iso = await request(`/v1/stats?since=${new Date(Date.now() - 7200_000).toISOString()}`, KEY_A);
      assert.equal(iso.body.total.jobs, 3);
      for (const bad of ['/v1/stats?since=yesterday', '/v1/stats?since=', '/v1/stats?backend=']) {
        const answer = await request(bad, KEY_A);
        assert.equal(answer.status, 400, bad);
        assert.equal(answer.body.error.code, 'INVALID_ARGUMENT', bad);
      }
      assert.equal((await request('/v1/stats')).status, 401);
      assert.equal((await request('/v1/stats', 'not-a-configured-key-000000')).status, 401);
    });
  });
}
