import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSampled, segmentDraw } from './sample.js';

test('sample: a segment always draws the same, in [0, 1)', () => {
  for (let i = 0; i < 50; i++) {
    const draw = segmentDraw('shadow', 'jabc', i);
    assert.ok(draw >= 0 && draw < 1);
    assert.equal(segmentDraw('shadow', 'jabc', i), draw);
  }
  assert.notEqual(segmentDraw('shadow', 'jabc', 1), segmentDraw('shadow', 'jabd', 1), 'another job draws anew');
});

test('sample: a share selects about that share, nested as it grows; salts draw independently', () => {
  const n = 4000;
  const select = (salt: string, share: number) => Array.from({ length: n }, (_, i) => isSampled(salt, `job${i % 97}`, i, share));
  for (const share of [0, 0.05, 0.2, 0.5, 1]) {
    const count = select('shadow', share).filter(Boolean).length;
    assert.ok(Math.abs(count / n - share) < 0.03, `share ${share}: ${count} of ${n}`);
  }
  const small = select('shadow', 0.2);
  const large = select('shadow', 0.4);
  assert.ok(small.every((s, i) => !s || large[i]), 'raising the share keeps the segments already selected');
  const canary = select('canary:x', 0.2);
  const both = small.filter((s, i) => s && canary[i]).length;
  assert.ok(Math.abs(both / n - 0.04) < 0.02, `independent salts: ${both} in both`);
});
