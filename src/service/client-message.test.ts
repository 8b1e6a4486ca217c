/** clientMessage: a table of internal messages and what a client reads instead. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientMessage, uploadLabel, type KnownPath } from './client-message.js';

const upload: KnownPath = { path: '/srv/data/jobs/jabc123/input', as: '"talk.mp3"' };
const dataDir: KnownPath = { path: '/srv/my data', as: '[server path]' };

test('clientMessage: known paths by their client name, any other absolute path hidden, the rest untouched', () => {
  const cases: Array<[string, KnownPath[], string]> = [
    ['/srv/data/jobs/jabc123/input: truncated audio (header says 10.0 s, only 2.0 s decodable)', [upload], '"talk.mp3": truncated audio (header says 10.0 s, only 2.0 s decodable)'],
    ['/srv/data/jobs/jabc123/input.part: not an audio or video file ffmpeg can read', [upload], '"talk.mp3": not an audio or video file ffmpeg can read'],
    ['/srv/data/jobs/jabc123/input: cannot decode audio (file:/srv/data/jobs/jabc123/input: Invalid data)', [upload], '"talk.mp3": cannot decode audio ("talk.mp3": Invalid data)'],
    ['writing decoded audio to /srv/my data/work/j1/audio.pcm failed: ENOSPC', [dataDir], 'writing decoded audio to [server path] failed: ENOSPC'],
    ['whisper model /opt/models/ggml-base.en.bin not found', [], 'whisper model [server path] not found'],
    ["open '/etc/passwd': EACCES", [], "open '[server path]': EACCES"],
    ['paths (/var/a) and [/var/b], path=/tmp/c.', [], 'paths ([server path]) and [[server path]], path=[server path].'],
    // Not paths: URLs, rates, fractions, and text without any.
    ['the endpoint http://gpu.internal:8000/v1/audio answered 503', [], 'the endpoint http://gpu.internal:8000/v1/audio answered 503'],
    ['encoded at 19.2 kB/s, 1/2 of the limit, and/or less', [], 'encoded at 19.2 kB/s, 1/2 of the limit, and/or less'],
    ['no job "j123"', [], 'no job "j123"'],
  ];
  for (const [message, known, expected] of cases) assert.equal(clientMessage(message, known), expected, message);
});

test('clientMessage: the longer known path wins (the upload inside the data dir)', () => {
  const known = [{ path: '/srv/data', as: '[server path]' }, upload];
  assert.equal(clientMessage('/srv/data/jobs/jabc123/input: bad', known), '"talk.mp3": bad');
  assert.equal(clientMessage('/srv/data/parascribe.sqlite: locked', known), '[server path]: locked');
});

test('uploadLabel: the client filename quoted, else "the upload"', () => {
  assert.equal(uploadLabel('meeting "final".mp3'), '"meeting \\"final\\".mp3"');
  assert.equal(uploadLabel(null), 'the upload');
  assert.equal(uploadLabel(''), 'the upload');
});
