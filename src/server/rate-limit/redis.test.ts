/**
 * The shared rate limit on a private real Redis (test/helpers/redis.ts): two bucket sets, as two API
 * servers would hold, grant a key its burst in total; tokens come back at the configured rate; with
 * Redis gone each falls back to its own bucket (no refusal, no stall) and logs it once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { redisAvailable, startPrivateRedis, type PrivateRedis } from '../../../test/helpers/redis.js';
import { RedisTokenBuckets } from './redis.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RedisTokenBuckets', { skip: redisAvailable() ? false : 'redis-server is not installed' }, () => {
  let redis: PrivateRedis;
  const logs: string[] = [];
  let a: RedisTokenBuckets;
  let b: RedisTokenBuckets;

  before(async () => {
    redis = await startPrivateRedis();
    const options = { requestsPerSec: 2, burst: 5, redisUrl: redis.url, prefix: 'test', log: (line: string) => logs.push(line) };
    a = new RedisTokenBuckets(options);
    b = new RedisTokenBuckets(options);
    await Promise.all([a.ready(), b.ready()]);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  test('two servers share one bucket per key: the burst holds in total, refusals consume nothing', async () => {
    const waits: number[] = [];
    for (let i = 0; i < 10; i++) waits.push(await (i % 2 ? b : a).take('alice'));
    assert.equal(waits.filter((w) => w === 0).length, 5, `granted: ${waits.join(', ')}`);
    const refused = waits.filter((w) => w > 0);
    assert.ok(refused.every((w) => w > 0 && w <= 500), `a token is back within 500 ms at 2/s: ${refused.join(', ')}`);
    assert.equal(await a.take('bob'), 0, 'another key has its own bucket');
    await sleep(600); // one token back (2/s)
    assert.equal(await b.take('alice'), 0);
    assert.ok((await a.take('alice')) > 0);
  });

  test('Redis unreachable: each server falls back to its own bucket, one line each way', async () => {
    await redis.restart({ downMs: 1_500 }).catch(() => undefined);
    // While it is down (restart() has returned, so it is back): simulate by a server on a dead port.
    const dead = new RedisTokenBuckets({ requestsPerSec: 2, burst: 3, redisUrl: 'redis://127.0.0.1:1', prefix: 'test', timeoutMs: 100, log: (line) => logs.push(line) });
    try {
      const started = Date.now();
      const waits = [await dead.take('carol'), await dead.take('carol'), await dead.take('carol'), await dead.take('carol')];
      assert.deepEqual(waits.map((w) => w === 0), [true, true, true, false], 'the local bucket (burst 3) decides');
      assert.ok(Date.now() - started < 1_000, 'no stall');
      assert.equal(logs.filter((l) => /Redis unavailable/.test(l)).length, 1, logs.join('\n'));
    } finally {
      await dead.close();
    }
    // The restarted Redis serves the shared buckets again.
    for (let i = 0; i < 50 && (await a.take('dave')) !== 0; i++) await sleep(100);
    assert.equal(await a.take('erin'), 0);
  });
});
