import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signSegmentUrl, verifySegmentUrl, SEGMENT_AUDIO_PATH } from './segment-url.js';

const SECRET = 'worker-secret-0123456789abcdef';
const REF = { jobId: 'jabc123', index: 4, startSec: 240.37, endSec: 301.5 };
const NOW = 1_800_000_000;

function parts(url: string): { jobId: string; index: string; query: (name: string) => string | undefined } {
  const parsed = new URL(url);
  const [jobId, index] = parsed.pathname.slice(SEGMENT_AUDIO_PATH.length + 1).split('/');
  return { jobId: decodeURIComponent(jobId!), index: index!, query: (name) => parsed.searchParams.get(name) ?? undefined };
}

function verify(url: string, secret = SECRET, nowSec = NOW) {
  const p = parts(url);
  return verifySegmentUrl(secret, p.jobId, p.index, p.query, nowSec);
}

test('segment URL: a signed URL verifies to exactly its segment until it expires', () => {
  const url = signSegmentUrl('http://api.internal:8080', SECRET, REF, 600, NOW);
  assert.ok(url.startsWith(`http://api.internal:8080${SEGMENT_AUDIO_PATH}/jabc123/4?`));
  assert.deepEqual(verify(url), { ok: true, ref: REF });
  assert.deepEqual(verify(url, SECRET, NOW + 600), { ok: true, ref: REF });
  assert.deepEqual(verify(url, SECRET, NOW + 601), { ok: false, reason: 'expired' });
});

test('segment URL: any change to job, segment, range or expiry, or another secret → bad signature', () => {
  const url = signSegmentUrl('http://x', SECRET, REF, 600, NOW);
  const tampered: Array<[string, (u: URL) => void]> = [
    ['job', (u) => (u.pathname = `${SEGMENT_AUDIO_PATH}/jabc124/4`)],
    ['index', (u) => (u.pathname = `${SEGMENT_AUDIO_PATH}/jabc123/5`)],
    ['start', (u) => u.searchParams.set('start', '0')],
    ['end', (u) => u.searchParams.set('end', '9999')],
    ['expiry', (u) => u.searchParams.set('exp', String(NOW + 10_000))],
    ['signature', (u) => u.searchParams.set('sig', u.searchParams.get('sig')!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')))],
  ];
  for (const [what, change] of tampered) {
    const u = new URL(url);
    change(u);
    assert.deepEqual(verify(u.toString()), { ok: false, reason: 'bad signature' }, what);
  }
  assert.deepEqual(verify(url, 'another-secret-0123456789'), { ok: false, reason: 'bad signature' });
});

test('segment URL: malformed parameters are refused before any signature check', () => {
  const url = new URL(signSegmentUrl('http://x', SECRET, REF, 600, NOW));
  const cases: Array<[string, (u: URL) => void]> = [
    ['job id with a path', (u) => (u.pathname = `${SEGMENT_AUDIO_PATH}/..%2Fetc/4`)],
    ['index not a number', (u) => (u.pathname = `${SEGMENT_AUDIO_PATH}/jabc123/x`)],
    ['index fractional', (u) => (u.pathname = `${SEGMENT_AUDIO_PATH}/jabc123/1.5`)],
    ['no signature', (u) => u.searchParams.delete('sig')],
    ['no expiry', (u) => u.searchParams.delete('exp')],
    ['negative start', (u) => u.searchParams.set('start', '-1')],
  ];
  for (const [what, change] of cases) {
    const u = new URL(url);
    change(u);
    assert.deepEqual(verify(u.toString()), { ok: false, reason: 'malformed' }, what);
  }
});
