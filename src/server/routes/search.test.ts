/**
 * `GET /v1/search` on both stores, in process: each API key finds only its own jobs' segments (a
 * running job's included), the answers' shape, paging, and 400s with JSON bodies for bad queries.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { storeDriverCases } from '../../../test/helpers/store-drivers.js';
import { configSchema } from '../../config/schema.js';
import { openRuntime, type Runtime } from '../../runtime.js';
import { TranscriptionService } from '../../service/service.js';
import type { PlannedSegment } from '../../core/types.js';
import { createApp } from '../app.js';
import { ownerOfKey } from '../auth/index.js';

const KEY_A = 'search-route-key-a-0123456789';
const KEY_B = 'search-route-key-b-0123456789';

const plan = (count: number): PlannedSegment[] =>
  Array.from({ length: count }, (_, index) => ({ index, startSec: index * 30, endSec: index * 30 + 30, cutAfter: index === count - 1 ? 'end' : 'pause' }));

const result = (text: string) => ({ resultJson: JSON.stringify({ text, utterances: [] }), computeSec: 1, coldStart: false, warningsJson: '[]', backend: 'pocketsphinx', costUsd: 0 });

/** Jobs of key A, key B and the CLI (no owner), each with its segments' texts. */
const JOBS: Array<{ id: string; owner: string | null; name: string | null; status: 'completed' | 'running'; texts: Array<string | null> }> = [
  { id: 'jroutea0001', owner: ownerOfKey(KEY_A), name: 'alice-budget.mp3', status: 'completed', texts: ['The budget meeting starts now.', 'Budget cuts again.'] },
  { id: 'jroutea0002', owner: ownerOfKey(KEY_A), name: 'alice-live.mp3', status: 'running', texts: ['A secret budget in a running job.', null] },
  { id: 'jrouteb0001', owner: ownerOfKey(KEY_B), name: 'bob.wav', status: 'completed', texts: ['Bob talks budget and zebras.'] },
  { id: 'jroutecli01', owner: null, name: null, status: 'completed', texts: ['A local budget only the CLI sees.'] },
];

for (const driver of await storeDriverCases('search-route')) {
  describe(`GET /v1/search on ${driver.name}`, { skip: driver.skip }, () => {
    let runtime: Runtime;
    let service: TranscriptionService;
    let request: (path: string, key?: string) => Promise<{ status: number; body: any }>;

    before(async () => {
      const settings = await driver.settings();
      runtime = await openRuntime(configSchema.parse({ ...settings, serve: { apiKeys: [KEY_A, KEY_B] } }));
      service = new TranscriptionService({ runtime });
      const { app } = createApp(service);
      request = async (path, key) => {
        const response = await app.request(path, { headers: key ? { authorization: `Bearer ${key}` } : {} });
        return { status: response.status, body: await response.json() };
      };
      for (const job of JOBS) {
        await runtime.store.createJob({ id: job.id, source: `/srv/data/jobs/${job.id}/input`, sourceName: job.name, owner: job.owner, segmentSec: 30, backend: 'pocketsphinx', format: 'json', language: 'en', priority: 'normal', options: {} });
        await runtime.store.updateJob(job.id, { status: job.status });
        await runtime.store.insertSegments(job.id, plan(job.texts.length));
        for (const [index, text] of job.texts.entries()) if (text !== null) await runtime.store.completeSegment(job.id, index, result(text));
      }
    });

    after(async () => {
      await service?.stop();
      await runtime?.close();
      await driver.cleanup();
    });

    test("each key finds only its own jobs' segments (a running job's too); never another key's or the CLI's", async () => {
      const a = await request('/v1/search?q=budget', KEY_A);
      assert.equal(a.status, 200);
      assert.deepEqual(a.body.data.map((h: any) => `${h.job_id}#${h.segment_index}`).sort(), ['jroutea0001#0', 'jroutea0001#1', 'jroutea0002#0']);
      const b = await request('/v1/search?q=budget', KEY_B);
      assert.deepEqual(b.body.data.map((h: any) => `${h.job_id}#${h.segment_index}`), ['jrouteb0001#0']);
      // Words only another key's transcripts hold: an empty list, not an error, and nothing leaks.
      for (const [q, key] of [['zebras', KEY_A], ['secret', KEY_B], ['cuts', KEY_B], ['local', KEY_A], ['local', KEY_B]] as const) {
        const other = await request(`/v1/search?q=${encodeURIComponent(q)}`, key);
        assert.equal(other.status, 200, q);
        assert.deepEqual(other.body.data, [], `${q} for ${key === KEY_A ? 'A' : 'B'}`);
      }
      assert.deepEqual((await request('/v1/search?q=secret', KEY_A)).body.data.map((h: any) => h.job_id), ['jroutea0002']);
    });

    test('the answer: a list of hits with job, file name, absolute times, marked snippet and score', async () => {
      const { status, body } = await request(`/v1/search?q=${encodeURIComponent('"budget cuts"')}`, KEY_A);
      assert.equal(status, 200);
      assert.equal(body.object, 'list');
      assert.equal(body.query, '"budget cuts"');
      assert.equal(body.has_more, false);
      assert.equal(body.next_offset, null);
      assert.equal(body.data.length, 1);
      const { score, ...hit } = body.data[0];
      assert.deepEqual(hit, { job_id: 'jroutea0001', source: 'alice-budget.mp3', segment_index: 1, start_sec: 30, end_sec: 60, snippet: '«Budget» «cuts» again.' });
      assert.ok(typeof score === 'number' && score > 0);
    });

    test('limit and offset page; next_offset points at the next page', async () => {
      const first = await request('/v1/search?q=budget&limit=2', KEY_A);
      assert.equal(first.body.data.length, 2);
      assert.equal(first.body.has_more, true);
      assert.equal(first.body.next_offset, 2);
      const second = await request('/v1/search?q=budget&limit=2&offset=2', KEY_A);
      assert.equal(second.body.data.length, 1);
      assert.equal(second.body.has_more, false);
      const all = [...first.body.data, ...second.body.data].map((h: any) => `${h.job_id}#${h.segment_index}`);
      assert.equal(new Set(all).size, 3);
    });

    test('no key is 401; a missing, empty or word-less q and bad paging are 400 with a JSON error body', async () => {
      assert.equal((await request('/v1/search?q=budget')).status, 401);
      const bad: Array<[string, RegExp]> = [
        ['/v1/search', /q is required/],
        ['/v1/search?q=', /q is required/],
        ['/v1/search?q=%20%20', /q is required/],
        [`/v1/search?q=${encodeURIComponent('?!*')}`, /no words/],
        [`/v1/search?q=${encodeURIComponent('""')}`, /no words/],
        [`/v1/search?q=${'x'.repeat(600)}`, /at most 500/],
        ['/v1/search?q=budget&limit=0', /limit must be/],
        ['/v1/search?q=budget&limit=101', /limit must be/],
        ['/v1/search?q=budget&limit=ten', /limit must be/],
        ['/v1/search?q=budget&limit=', /limit must be/],
        ['/v1/search?q=budget&offset=-1', /offset must be/],
        ['/v1/search?q=budget&offset=10001', /offset must be/],
      ];
      for (const [path, message] of bad) {
        const { status, body } = await request(path, KEY_A);
        assert.equal(status, 400, path);
        assert.equal(body.error.code, 'INVALID_ARGUMENT', path);
        assert.match(body.error.message, message, path);
      }
    });
  });
}
