import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSince } from './view.js';

test('parseSince: durations back from now, ISO dates, and clear refusals', () => {
  const now = 2_000_000_000;
  assert.equal(parseSince('24h', now), now - 86_400);
  assert.equal(parseSince('90s', now), now - 90);
  assert.equal(parseSince('30m', now), now - 1_800);
  assert.equal(parseSince('7d', now), now - 7 * 86_400);
  assert.equal(parseSince('2w', now), now - 14 * 86_400);
  assert.equal(parseSince('1.5h', now), now - 5_400);
  assert.equal(parseSince('2026-12-01', now), Date.parse('2026-12-01') / 1000);
  assert.equal(parseSince('2026-12-01T08:00:00Z', now), Date.parse('2026-12-01T08:00:00Z') / 1000);
  for (const bad of ['', 'yesterday', '24', 'h', '-1h', '2026-13-45']) assert.throws(() => parseSince(bad, now), { code: 'INVALID_ARGUMENT' }, bad);
});
