import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AudioUrls, MEDIA_AUDIO_PATH } from './media-url.js';

test('AudioUrls: a signed path names one job until it expires; tampering, another job or another server is refused', () => {
  const urls = new AudioUrls();
  const now = 1_700_000_000;
  const { path, expiresAtSec } = urls.sign('jabc123456', 60, now);
  assert.equal(expiresAtSec, now + 60);
  const url = new URL(path, 'http://x');
  assert.equal(url.pathname, `${MEDIA_AUDIO_PATH}/jabc123456/audio`);
  const exp = url.searchParams.get('exp')!;
  const sig = url.searchParams.get('sig')!;
  assert.ok(!/key|bearer/i.test(path), 'no key in the URL');
  assert.equal(urls.verify('jabc123456', exp, sig, now), 'ok');
  assert.equal(urls.verify('jabc123456', exp, sig, now + 61), 'expired');
  assert.equal(urls.verify('jother12345', exp, sig, now), 'bad signature');
  assert.equal(urls.verify('jabc123456', String(Number(exp) + 3600), sig, now), 'bad signature');
  assert.equal(urls.verify('jabc123456', exp, `${sig.slice(0, -1)}A`, now), sig.endsWith('A') ? 'ok' : 'bad signature');
  assert.equal(new AudioUrls().verify('jabc123456', exp, sig, now), 'bad signature', "another process's secret");
  assert.equal(urls.verify('jabc123456', undefined, sig, now), 'malformed');
  assert.equal(urls.verify('jabc123456', '12x', sig, now), 'malformed');
  assert.equal(urls.verify('jabc123456', exp, undefined, now), 'malformed');
});
