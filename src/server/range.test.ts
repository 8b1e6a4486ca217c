import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileResponse, parseRange } from './range.js';
import { sniffAudioType } from '../service/job-media.js';

test('parseRange: first-last, open end, suffix, clamping, unsatisfiable, and ignored forms', () => {
  assert.deepEqual(parseRange('bytes=0-99', 1000), { start: 0, end: 99 });
  assert.deepEqual(parseRange('bytes=500-', 1000), { start: 500, end: 999 });
  assert.deepEqual(parseRange('bytes=-100', 1000), { start: 900, end: 999 });
  assert.deepEqual(parseRange('bytes=-5000', 1000), { start: 0, end: 999 });
  assert.deepEqual(parseRange('bytes=900-5000', 1000), { start: 900, end: 999 });
  assert.equal(parseRange('bytes=1000-', 1000), 'unsatisfiable');
  assert.equal(parseRange('bytes=5-1', 1000), 'unsatisfiable');
  assert.equal(parseRange('bytes=-0', 1000), 'unsatisfiable');
  for (const ignored of [undefined, '', 'bytes=0-1,5-9', 'items=0-1', 'bytes=-', 'bytes=a-b']) assert.equal(parseRange(ignored, 1000), null, String(ignored));
});

test('fileResponse: 200 whole, 206 with Content-Range, 416, HEAD without a body', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'range-')), 'f.bin');
  writeFileSync(path, Buffer.from('0123456789'));
  const whole = await fileResponse(path, { contentType: 'audio/wav', range: undefined, method: 'GET' });
  assert.equal(whole.status, 200);
  assert.equal(whole.headers.get('accept-ranges'), 'bytes');
  assert.equal(await whole.text(), '0123456789');
  const part = await fileResponse(path, { contentType: 'audio/wav', range: 'bytes=2-4', method: 'GET' });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), 'bytes 2-4/10');
  assert.equal(part.headers.get('content-length'), '3');
  assert.equal(await part.text(), '234');
  const beyond = await fileResponse(path, { contentType: 'audio/wav', range: 'bytes=10-', method: 'GET' });
  assert.equal(beyond.status, 416);
  assert.equal(beyond.headers.get('content-range'), 'bytes */10');
  const head = await fileResponse(path, { contentType: 'audio/wav', range: 'bytes=0-0', method: 'HEAD' });
  assert.equal(head.status, 206);
  assert.equal(head.headers.get('content-length'), '1');
  assert.equal(head.body, null);
});

test('sniffAudioType: the container from its magic bytes, not a name', () => {
  const bytes = (text: string, at = 0) => Uint8Array.from([...Array(at).fill(0), ...Buffer.from(text)]);
  assert.equal(sniffAudioType(Uint8Array.from([...Buffer.from('RIFF'), 0, 0, 0, 0, ...Buffer.from('WAVE')])), 'audio/wav');
  assert.equal(sniffAudioType(bytes('ID3\x04')), 'audio/mpeg');
  assert.equal(sniffAudioType(Uint8Array.from([0xff, 0xfb, 0x90, 0x00])), 'audio/mpeg');
  assert.equal(sniffAudioType(bytes('fLaC')), 'audio/flac');
  assert.equal(sniffAudioType(bytes('OggS')), 'audio/ogg');
  assert.equal(sniffAudioType(bytes('ftypM4A ', 4)), 'audio/mp4');
  assert.equal(sniffAudioType(Uint8Array.from([0x1a, 0x45, 0xdf, 0xa3])), 'audio/webm');
  assert.equal(sniffAudioType(bytes('<img src=x onerror=alert(1)>')), 'application/octet-stream');
});
