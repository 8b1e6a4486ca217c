/**
 * The demuxer and protocol allowlists, with real ffprobe and ffmpeg: a playlist or concat list is
 * refused as UNSUPPORTED_FORMAT and the file it names is never opened (a FIFO bait tells), while
 * every accepted container still probes and decodes. A control run without the allowlists shows
 * that the bait does catch ffmpeg opening the named file.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ffconcatList, hlsPlaylist, makeBait, writeText } from '../../test/helpers/hostile-media.js';
import { ffmpeg } from '../../test/helpers/cli.js';
import { isParascribeError } from '../errors.js';
import { decodeToPcmFile } from './decode.js';
import { ALLOWED_DEMUXERS, imageFormat, isAllowedFormat, refusedDemuxer, restrictedInputArgs, toolReason } from './ffmpeg-input.js';
import { probeAudio } from './probe.js';

const dir = mkdtempSync(join(tmpdir(), 'parascribe-ffmpeg-input-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('refusedDemuxer reads the probed format from the refusal line', () => {
  const cases: Array<[string, string | null]> = [
    ["[hls @ 0x564f44350480] Format not on whitelist 'wav,mp3'\nfile:/x/pl.mp3: Invalid argument\n", 'hls'],
    ["[concat @ 0x5648b86d2480] Format not on whitelist 'wav'", 'concat'],
    ["[png_pipe @ 0x1] Format not on whitelist 'wav'", 'png_pipe'],
    ["Format not on whitelist 'wav'", 'unknown'],
    ['file:/x/a.mp3: Invalid data found when processing input', null],
    ['', null],
  ];
  for (const [stderr, expected] of cases) assert.equal(refusedDemuxer(stderr), expected, stderr);
});

test('isAllowedFormat matches any name of a multi-name demuxer; imageFormat names pictures', () => {
  assert.equal(isAllowedFormat('mov,mp4,m4a,3gp,3g2,mj2'), true);
  assert.equal(isAllowedFormat('matroska,webm'), true);
  assert.equal(isAllowedFormat('wav'), true);
  assert.equal(isAllowedFormat('hls'), false);
  assert.equal(isAllowedFormat('concat'), false);
  assert.equal(isAllowedFormat('image2'), false);
  assert.equal(imageFormat('png_pipe'), 'png');
  assert.equal(imageFormat('gif'), 'gif');
  assert.equal(imageFormat('hls'), null);
});

test('restrictedInputArgs: allowlists before -i, the input as file:<absolute path>', () => {
  const args = restrictedInputArgs('relative/concat:a|b.mp3');
  assert.deepEqual(args.slice(0, 4), ['-format_whitelist', ALLOWED_DEMUXERS.join(','), '-protocol_whitelist', 'file,pipe']);
  assert.equal(args[4], '-i');
  assert.match(args[5]!, /^file:\/.*\/relative\/concat:a\|b\.mp3$/);
});

test('toolReason drops the input name and log context', () => {
  const path = '/srv/data/jobs/j1/input';
  assert.equal(toolReason(`file:${path}: Invalid data found when processing input\n`, path), 'Invalid data found when processing input');
  assert.equal(toolReason('[mp3 @ 0x55] Failed to read frame size\nsecond\n', path, 'first'), 'Failed to read frame size');
});

describe('hostile inputs against real ffprobe and ffmpeg', () => {
  const secret = join(dir, 'secret.mp3');
  ffmpeg(['-f', 'lavfi', '-i', 'sine=f=440:d=3', '-ar', '16000', secret]);

  test('control: without the allowlists ffprobe opens the file a playlist names (the bait sees it)', async () => {
    const bait = makeBait(join(dir, 'control-bait.mp3'));
    const playlist = writeText(join(dir, 'control.m3u8'), hlsPlaylist(bait.path));
    const child = spawn('ffprobe', ['-v', 'error', '-show_entries', 'format=format_name', '-of', 'json', playlist], { stdio: 'ignore' });
    const deadline = Date.now() + 15_000;
    while (!bait.opened() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const opened = bait.opened();
    await bait.release();
    child.kill('SIGKILL');
    assert.equal(opened, true, 'unrestricted ffprobe did not open the bait: the bait cannot detect anything');
  });

  const hostile: Array<{ name: string; file: string; body: (bait: string) => string; format: string }> = [
    { name: 'HLS playlist naming an absolute path', file: 'abs.m3u8', body: (bait) => hlsPlaylist(bait), format: 'hls' },
    { name: 'HLS playlist naming a relative path', file: 'rel.m3u8', body: () => hlsPlaylist('bait.mp3'), format: 'hls' },
    { name: 'ffconcat list naming a file beside it', file: 'list.ffconcat', body: () => ffconcatList('bait.mp3'), format: 'concat' },
    { name: 'HLS playlist renamed .mp3', file: 'talk.mp3', body: (bait) => hlsPlaylist(bait), format: 'hls' },
  ];
  for (const { name, file, body, format } of hostile) {
    test(`${name}: probe and decode refuse it as UNSUPPORTED_FORMAT, the named file is never opened`, async () => {
      const caseDir = mkdtempSync(join(dir, 'case-'));
      const bait = makeBait(join(caseDir, 'bait.mp3'));
      try {
        const input = writeText(join(caseDir, file), body(bait.path));
        await assert.rejects(probeAudio(input), (error: unknown) => {
          assert.ok(isParascribeError(error));
          assert.equal(error.code, 'UNSUPPORTED_FORMAT');
          assert.equal(error.details?.format, format);
          return true;
        });
        // The decoder applies the same allowlists even when handed an input no probe has checked.
        const info = { path: input, sizeBytes: 100, formatName: 'mp3', durationSec: 60, codec: 'mp3', sampleRate: 16000, channels: 1, hasVideo: false };
        await assert.rejects(decodeToPcmFile(info, join(caseDir, 'out.pcm')), (error: unknown) => isParascribeError(error) && error.code === 'UNSUPPORTED_FORMAT');
        assert.equal(bait.opened(), false, `ffmpeg opened ${bait.path}`);
      } finally {
        await bait.release();
      }
    });
  }

  test('a file named like a protocol (concat:…, http:…) is still just a file', async () => {
    const odd = join(dir, 'concat:a|b.mp3');
    ffmpeg(['-f', 'lavfi', '-i', 'sine=f=440:d=2', '-ar', '16000', odd]);
    const info = await probeAudio(odd);
    assert.equal(info.formatName, 'mp3');
    const decoded = await decodeToPcmFile(info, join(dir, 'odd.pcm'));
    assert.ok(Math.abs(decoded.durationSec - 2) < 0.1, String(decoded.durationSec));
  });

  test('every accepted container still probes and decodes', async () => {
    const made: Array<[string, string[]]> = [
      ['a.wav', []],
      ['a.w64', []],
      ['a.mp3', []],
      ['a.flac', []],
      ['a.ogg', ['-c:a', 'libvorbis']],
      ['a.opus', ['-c:a', 'libopus']],
      ['a.webm', ['-c:a', 'libopus']],
      ['a.mkv', []],
      ['a.mp4', ['-c:a', 'aac']],
      ['a.m4a', ['-c:a', 'aac']],
      ['a.mov', ['-c:a', 'aac']],
      ['a.3gp', ['-ar', '8000', '-c:a', 'aac']],
      ['a.aac', []],
      ['a.aiff', []],
      ['a.caf', []],
      ['a.wma', []],
      ['a.avi', []],
      ['a.ts', []],
      ['a.mpg', []],
      ['a.flv', []],
      ['a.wv', []],
      ['a.au', []],
    ];
    for (const [name, codec] of made) {
      const path = join(dir, name);
      ffmpeg(['-f', 'lavfi', '-i', 'sine=f=440:d=2', ...codec, path]);
      const info = await probeAudio(path);
      assert.ok(isAllowedFormat(info.formatName), `${name}: ${info.formatName}`);
      const decoded = await decodeToPcmFile(info, join(dir, `${name}.pcm`));
      assert.ok(decoded.durationSec > 1.5, `${name}: decoded ${decoded.durationSec} s`);
    }
  });
});
