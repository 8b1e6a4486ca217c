import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signWebhook, verifyWebhook } from './signature.js';

const SECRET = 'whsec_test_secret';
const payload = { id: 'job_123', status: 'completed', text: 'héllo wörld' };

test('verifyWebhook: tampered body, wrong secret, stale or future timestamp, malformed headers → false', () => {
  const body = JSON.stringify(payload);
  const t = 1_700_000_000;
  const header = signWebhook(SECRET, t, body);
  assert.equal(verifyWebhook(SECRET, header, body, 300, t), true);
  assert.equal(verifyWebhook(SECRET, header, body, 300, t + 300), true, 'edge of the window');
  assert.equal(verifyWebhook(SECRET, header, body.replace('completed', 'cancelled'), 300, t), false, 'tampered body');
  assert.equal(verifyWebhook(SECRET, header, `${body} `, 300, t), false, 'one extra byte');
  assert.equal(verifyWebhook('another secret', header, body, 300, t), false, 'wrong secret');
  assert.equal(verifyWebhook(SECRET, header, body, 300, t + 301), false, 'stale');
  assert.equal(verifyWebhook(SECRET, header, body, 300, t - 301), false, 'from the future');
  assert.equal(verifyWebhook(SECRET, header, body), false, 'default tolerance against the real clock');
  const v1 = header.split('v1=')[1]!;
  assert.equal(verifyWebhook(SECRET, `t=${t + 1},v1=${v1}`, body, 300, t), false, 'timestamp swapped');
  for (const bad of ['', 'garbage', `v1=${v1}`, `t=${t}`, `t=${t},v1=${v1.slice(0, 63)}`, `t=abc,v1=${v1}`, `t=${t},t=${t},v1=${v1}`]) {
    assert.equal(verifyWebhook(SECRET, bad, body, 300, t), false, bad);
  }
  // Secret rotation: several v1 entries, any one valid is enough; order and spacing do not matter.
  const other = signWebhook('old secret', t, body).split('v1=')[1]!;
  assert.equal(verifyWebhook(SECRET, `v1=${other}, t=${t}, v1=${v1.toUpperCase()}`, body, 300, t), true);
  assert.throws(() => signWebhook(SECRET, 1.5, body), { code: 'INVALID_ARGUMENT' });
});
