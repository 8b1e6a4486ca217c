import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../store/registry.js';
import type { JobStore } from '../store/jobs.js';
import type { Transcript } from '../transcript.js';
import { canonicalJson, computeCacheKey, hashFile, TranscriptCache, type CacheKeyParts } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'parascribe-cache-'));
let store: JobStore;
before(async () => {
  store = await openStore({ dataDir: join(dir, 'data') });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('canonicalJson', () => {
  const cases: Array<[string, unknown, string]> = [
    ['keys sorted at every depth', { b: 1, a: { d: 2, c: [3, { f: 1, e: 0 }] } }, '{"a":{"c":[3,{"e":0,"f":1}],"d":2},"b":1}'],
    ['undefined members dropped, null kept', { a: undefined, b: null }, '{"b":null}'],
    ['top-level undefined is null', undefined, 'null'],
    ['strings escaped as JSON', { 'k"': 'v\n' }, '{"k\\"":"v\\n"}'],
    ['arrays keep their order', [3, 1, 2], '[3,1,2]'],
  ];
  for (const [name, value, expected] of cases) test(name, () => assert.equal(canonicalJson(value), expected));
});

describe('computeCacheKey', () => {
  const base: CacheKeyParts = { fileSha256: 'a'.repeat(64), backend: 'pocketsphinx', model: 'en-us', backendFingerprint: { v: 1 }, options: { language: null, segmentSec: 360 } };
  test('the order of option keys does not change the key', () => {
    assert.equal(computeCacheKey(base), computeCacheKey({ ...base, options: { segmentSec: 360, language: null } }));
  });
  const changes: Array<[string, Partial<CacheKeyParts>]> = [
    ['another file', { fileSha256: 'b'.repeat(64) }],
    ['another backend', { backend: 'openai' }],
    ['another model', { model: 'whisper-1' }],
    ['another fingerprint', { backendFingerprint: { v: 2 } }],
    ['another segment size', { options: { language: null, segmentSec: 60 } }],
    ['a language', { options: { language: 'en', segmentSec: 360 } }],
  ];
  for (const [name, change] of changes) {
    test(`${name} is another key`, () => assert.notEqual(computeCacheKey({ ...base, ...change }), computeCacheKey(base)));
  }
  test('a 64-hex-digit SHA-256', () => assert.match(computeCacheKey(base), /^[0-9a-f]{64}$/));
});

describe('hashFile', () => {
  test('the SHA-256 of the bytes; remembered by (path, size, mtime) and recomputed when the file changes', async () => {
    const file = join(dir, 'audio.bin');
    writeFileSync(file, 'first contents');
    const at = new Date(1_700_000_000_000);
    utimesSync(file, at, at);
    const first = await hashFile(file, store);
    assert.equal(first, createHash('sha256').update('first contents').digest('hex'));
    // Same size and mtime, other bytes: the remembered hash comes back unread (what makes re-runs free).
    writeFileSync(file, 'FIRST contents');
    utimesSync(file, at, at);
    assert.equal(await hashFile(file, store), first);
    // A new mtime, or a new size, is a new entry: the bytes are read again.
    utimesSync(file, new Date(1_700_000_001_000), new Date(1_700_000_001_000));
    assert.equal(await hashFile(file, store), createHash('sha256').update('FIRST contents').digest('hex'));
    writeFileSync(file, 'second, longer contents');
    assert.equal(await hashFile(file, store), createHash('sha256').update('second, longer contents').digest('hex'));
  });

  test('an aborted signal stops the read', async () => {
    const file = join(dir, 'big.bin');
    writeFileSync(file, Buffer.alloc(4 * 1024 * 1024));
    await assert.rejects(hashFile(file, store, AbortSignal.abort()), (error: Error) => error.name === 'AbortError');
  });
});

describe('TranscriptCache', () => {
  const transcript: Transcript = { text: 'hello world', language: 'en', durationSec: 2, utterances: [{ startSec: 0, endSec: 1, text: 'hello world' }] } as unknown as Transcript;

  test('put then get returns the transcript; an unknown key is a miss', async () => {
    const cache = new TranscriptCache(join(dir, 'cache-a'));
    const key = 'ab'.padEnd(64, '0');
    assert.equal(await cache.get(key), undefined);
    await cache.put(key, transcript);
    assert.deepEqual(await cache.get(key), transcript);
    assert.equal(await cache.get('cd'.padEnd(64, '0')), undefined);
  });

  test('a corrupt entry is a miss, never an error', async () => {
    const cache = new TranscriptCache(join(dir, 'cache-b'));
    const key = 'ef'.padEnd(64, '1');
    mkdirSync(join(dir, 'cache-b', 'ef'), { recursive: true });
    writeFileSync(join(dir, 'cache-b', 'ef', `${key}.json`), '{"text": "trunc');
    assert.equal(await cache.get(key), undefined);
    await cache.put(key, transcript);
    assert.deepEqual(await cache.get(key), transcript, 'a put repairs it');
  });
});
