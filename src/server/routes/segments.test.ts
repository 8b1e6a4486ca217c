import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { signSegmentUrl, SEGMENT_AUDIO_PATH } from '../../queue/bullmq/segment-url.js';
import { segmentAudioRoutes } from './segments.js';

const SECRET = 'worker-secret-0123456789abcdef';

function setup() {
  const dataDir = mkdtempSync(join(tmpdir(), 'parascribe-segments-route-'));
  mkdirSync(join(dataDir, 'work', 'jroute1'), { recursive: true });
  // 3 s of 16 kHz s16le whose every sample is its own index (mod 2^15), so any slice can be checked.
  const pcm = Buffer.alloc(3 * 16_000 * 2);
  for (let i = 0; i < pcm.length / 2; i++) pcm.writeInt16LE(i % 32_768, i * 2);
  writeFileSync(join(dataDir, 'work', 'jroute1', 'audio.pcm'), pcm);
  const app = new Hono().route(SEGMENT_AUDIO_PATH, segmentAudioRoutes(dataDir, SECRET));
  const get = (url: string) => app.request(new URL(url).pathname + new URL(url).search);
  return { dataDir, pcm, get, done: () => rmSync(dataDir, { recursive: true, force: true }) };
}

test('segment audio route: a signed URL streams exactly its slice as a 16 kHz mono WAV', async () => {
  const { pcm, get, done } = setup();
  try {
    const response = await get(signSegmentUrl('http://x', SECRET, { jobId: 'jroute1', index: 1, startSec: 0.5, endSec: 2.25 }, 60));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'audio/wav');
    const body = Buffer.from(await response.arrayBuffer());
    assert.equal(Number(response.headers.get('content-length')), body.length);
    assert.equal(body.toString('latin1', 0, 4), 'RIFF');
    assert.equal(body.readUInt32LE(24), 16_000);
    assert.equal(body.readUInt32LE(40), body.length - 44);
    assert.deepEqual(body.subarray(44), pcm.subarray(0.5 * 32_000, 2.25 * 32_000));
  } finally {
    done();
  }
});

test('segment audio route: bad signature or expired → 403, malformed → 400, a job without audio → 410, all JSON', async () => {
  const { get, done } = setup();
  try {
    const ref = { jobId: 'jroute1', index: 0, startSec: 0, endSec: 1 };
    const cases: Array<[string, string, number]> = [
      ['wrong secret', signSegmentUrl('http://x', 'another-secret-0123456789', ref, 60), 403],
      ['expired', signSegmentUrl('http://x', SECRET, ref, 60, Date.now() / 1000 - 120), 403],
      ['malformed', `http://x${SEGMENT_AUDIO_PATH}/jroute1/0?start=0&end=1`, 400],
      ['no such job', signSegmentUrl('http://x', SECRET, { ...ref, jobId: 'jgone' }, 60), 410],
    ];
    for (const [what, url, status] of cases) {
      const response = await get(url);
      assert.equal(response.status, status, what);
      const body = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(typeof body.error.code, 'string', what);
    }
  } finally {
    done();
  }
});

test('segment audio route: a range not yet on this disk (a server decoding again after a takeover) is served from the store', async () => {
  const { openStore } = await import('../../store/registry.js');
  const { blobId } = await import('../../store/blobs.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'parascribe-segments-blob-'));
  const store = await openStore({ dataDir });
  try {
    mkdirSync(join(dataDir, 'work', 'jroute2'), { recursive: true });
    // 1 s decoded here so far; segment 1 (1.5–2.5 s) was queued by the job's first server, its audio put in the store.
    writeFileSync(join(dataDir, 'work', 'jroute2', 'audio.pcm'), Buffer.alloc(32_000, 1));
    const segment = Buffer.alloc(32_000, 7);
    await store.blobs.write(blobId.segment('jroute2', 1), { kind: 'segment', jobId: 'jroute2', writer: null }, [segment], { complete: true });
    const app = new Hono().route(SEGMENT_AUDIO_PATH, segmentAudioRoutes(dataDir, SECRET, store.blobs));
    const get = (url: string) => app.request(new URL(url).pathname + new URL(url).search);
    const fromStore = await get(signSegmentUrl('http://x', SECRET, { jobId: 'jroute2', index: 1, startSec: 1.5, endSec: 2.5 }, 60));
    assert.equal(fromStore.status, 200);
    assert.deepEqual(Buffer.from(await fromStore.arrayBuffer()).subarray(44), segment);
    // A range that is on this disk is read here (segment 0 has no copy in the store).
    const local = await get(signSegmentUrl('http://x', SECRET, { jobId: 'jroute2', index: 0, startSec: 0, endSec: 1 }, 60));
    assert.deepEqual(Buffer.from(await local.arrayBuffer()).subarray(44), Buffer.alloc(32_000, 1));
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
