import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filenameFromContentDisposition, filenameFromUrl, pickFilename, sanitizeFilename } from './filename.js';

test('sanitizeFilename: plain basename, no traversal, controls or hidden names', () => {
  const cases: Array<[string, string | null]> = [
    ['talk.mp3', 'talk.mp3'],
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\windows\\system32\\evil.exe', 'evil.exe'],
    ['a/b/c.wav', 'c.wav'],
    ['..', null],
    ['.', null],
    ['/', null],
    ['', null],
    ['   ', null],
    ['.bashrc', 'bashrc'],
    ['talk..mp3', 'talk.mp3'],
    ['ta\u0000lk\n.mp3', 'talk.mp3'],
    ['evil\u202egpj.mp3', 'evilgpj.mp3'],
    ['talk.mp3. ', 'talk.mp3'],
    ['tälk 🎙.mp3', 'tälk 🎙.mp3'],
  ];
  for (const [raw, expected] of cases) assert.equal(sanitizeFilename(raw), expected, JSON.stringify(raw));
});

test('sanitizeFilename: long names are cut to 200 characters, keeping the extension', () => {
  const cut = sanitizeFilename(`${'a'.repeat(500)}.mp3`);
  assert.equal(cut?.length, 200);
  assert.ok(cut?.endsWith('a.mp3'));
  const emoji = sanitizeFilename('🎙'.repeat(300));
  assert.equal(Array.from(emoji ?? '').length, 200, 'cut by characters, not UTF-16 units');
});

test('filenameFromContentDisposition: quoted, unquoted, RFC 8187 filename*, hostile values', () => {
  assert.equal(filenameFromContentDisposition('attachment; filename="talk.mp3"'), 'talk.mp3');
  assert.equal(filenameFromContentDisposition('attachment; filename=talk.mp3'), 'talk.mp3');
  assert.equal(filenameFromContentDisposition('inline; FILENAME="a \\"b\\".mp3"'), 'a "b".mp3');
  assert.equal(filenameFromContentDisposition(`attachment; filename="fallback.mp3"; filename*=UTF-8''t%C3%A4lk.mp3`), 'tälk.mp3');
  assert.equal(filenameFromContentDisposition(`attachment; filename*=iso-8859-1'en'caf%E9.mp3`), 'café.mp3');
  assert.equal(filenameFromContentDisposition('attachment; filename="x;filename=evil.mp3"'), 'x;filename=evil.mp3');
  assert.equal(filenameFromContentDisposition('attachment; filename="../../../etc/cron.d/job"'), 'job');
  assert.equal(filenameFromContentDisposition('attachment; filename=".."'), null);
  assert.equal(filenameFromContentDisposition('attachment'), null);
});

test('filenameFromUrl / pickFilename: URL segment decoded; header wins; fallback when header is unusable', () => {
  assert.equal(filenameFromUrl(new URL('https://example.com/media/my%20talk.mp3?x=1')), 'my talk.mp3');
  assert.equal(filenameFromUrl(new URL('https://example.com/')), null);
  assert.equal(filenameFromUrl(new URL('https://example.com/a/..%2F..%2Fsecret')), 'secret');
  assert.equal(filenameFromUrl(new URL('https://example.com/bad%E0%A4%A.mp3')), 'bad%E0%A4%A.mp3');
  const url = new URL('https://example.com/x/episode.mp3');
  assert.equal(pickFilename('attachment; filename="real.mp3"', url), 'real.mp3');
  assert.equal(pickFilename('attachment; filename=".."', url), 'episode.mp3');
  assert.equal(pickFilename(undefined, url), 'episode.mp3');
});
