import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fittedName, NAME_MAX_BYTES, truncateUtf8 } from './file-name.js';

test('truncateUtf8 cuts on character boundaries', () => {
  const cases: Array<[string, number, string]> = [
    ['abc', 10, 'abc'],
    ['abcdef', 3, 'abc'],
    ['ü', 1, ''], // 2 bytes: not half of it
    ['会议', 4, '会'], // 3 bytes each
    ['🎙x', 3, ''], // 4 bytes
    ['🎙x', 5, '🎙x'],
  ];
  for (const [text, max, expected] of cases) assert.equal(truncateUtf8(text, max), expected, `${text} / ${max}`);
});

test('fittedName keeps short names and shortens long ones to NAME_MAX bytes', () => {
  assert.equal(fittedName('talk', 'txt'), 'talk.txt');
  const long = fittedName('l'.repeat(300), 'json');
  assert.equal(Buffer.byteLength(long), NAME_MAX_BYTES);
  assert.ok(long.endsWith('.json'));
  const cjk = fittedName('会'.repeat(100), 'srt');
  assert.ok(Buffer.byteLength(cjk) <= NAME_MAX_BYTES);
  assert.ok(cjk.endsWith('会.srt'));
});
