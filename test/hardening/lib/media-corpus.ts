/**
 * The bad-media corpus (issue 22, part 1), generated with ffmpeg and sox into a temp dir once per test
 * run (about 5 MB, a few seconds on 2 cores): truncated files of every container we accept, lying WAV
 * headers, video with no audio, 0 and 6 channels, 8 and 96 kHz, a 24-hour Opus "decompression bomb"
 * of silence (4 MB on disk, 2.7 GB of PCM decoded), silence only, an empty file, and hostile file
 * names. Each case carries its documented outcome (docs/limits.md, "Bad media"): an error code from
 * src/errors.ts, or success with a transcript that is empty or not.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorCode } from '../../../src/errors.js';
import { ffmpeg } from '../../helpers/cli.js';

export type Transcript = 'text' | 'empty';

export interface CorpusCase {
  id: string;
  /** The file on disk (its own name may be the hostile part). */
  file: string;
  /** The name an uploading client sends (multipart filename, Content-Disposition): may hold path separators. */
  clientName: string;
  /** The documented outcome: an error code, or success with a transcript. */
  expect: { code: ErrorCode } | { transcript: Transcript };
  /** Why that is the right outcome, for the table. */
  why: string;
}

export function sox(args: string[]): void {
  const result = spawnSync('sox', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`sox ${args.join(' ')}: ${result.stderr}`);
}

/** The first `fraction` of a file's bytes: a download or copy cut short. */
function truncate(from: string, to: string, fraction = 0.5): string {
  const bytes = readFileSync(from);
  writeFileSync(to, bytes.subarray(0, Math.floor(bytes.length * fraction)));
  return to;
}

/** A copy of a WAV with its RIFF and data sizes (or channel count) rewritten. */
function patchWav(from: string, to: string, patch: (bytes: Buffer, dataAt: number) => void): string {
  const bytes = Buffer.from(readFileSync(from));
  patch(bytes, bytes.indexOf(Buffer.from('data')));
  writeFileSync(to, bytes);
  return to;
}

export const LONG_NAME = `${'l'.repeat(251)}.wav`; // 255 bytes: NAME_MAX
export const UNICODE_NAME = '会议 录音 🎙 ünïcødé.wav';
export const SHELL_NAME = 'a;$(touch pwned)&`id`|b \'q"*?<>.wav';

/** Builds the corpus under `dir` (which must exist and be otherwise empty). */
export function buildCorpus(dir: string, speechSource: string): CorpusCase[] {
  const src = join(dir, 'src');
  mkdirSync(src);
  const at = (name: string) => join(dir, name);
  // 3 s of speech, 16 kHz mono: the base of every container.
  const speech = join(src, 'speech.wav');
  sox([speechSource, '-r', '16000', '-c', '1', speech, 'trim', '0', '3']);
  const full = (ext: string, args: string[]) => {
    const path = join(src, `full.${ext}`);
    ffmpeg(['-i', speech, ...args, path]);
    return path;
  };
  const containers: Array<[string, string, string[], ErrorCode | Transcript, string]> = [
    ['mp3', 'mp3', ['-c:a', 'libmp3lame'], 'CORRUPT_AUDIO', 'the header (Xing) promises 3 s, 1.4 s decode: cut short'],
    ['m4a', 'm4a', ['-c:a', 'aac'], 'CORRUPT_AUDIO', 'the index (moov) is at the end and missing'],
    ['aac', 'aac', ['-c:a', 'aac'], 'text', 'ADTS is a bare stream: the first half is a valid, shorter recording'],
    ['opus', 'opus', ['-c:a', 'libopus'], 'text', 'Ogg has no length header: the pages before the cut are a valid, shorter recording'],
    ['ogg', 'ogg', ['-c:a', 'libvorbis'], 'text', 'as Opus: Ogg pages up to the cut'],
    ['flac', 'flac', ['-c:a', 'flac'], 'CORRUPT_AUDIO', 'STREAMINFO promises 3 s, 1.2 s decode'],
    ['wav', 'wav', [], 'CORRUPT_AUDIO', 'the data chunk declares more bytes than the file holds'],
    ['webm', 'webm', ['-c:a', 'libopus'], 'CORRUPT_AUDIO', 'the Duration element promises 3 s'],
  ];
  const cases: CorpusCase[] = [];
  const add = (id: string, file: string, outcome: ErrorCode | Transcript, why: string, clientName = file.split('/').at(-1)!) => {
    cases.push({ id, file, clientName, expect: outcome === 'text' || outcome === 'empty' ? { transcript: outcome } : { code: outcome }, why });
  };
  for (const [name, ext, args, outcome, why] of containers) add(`truncated ${name}`, truncate(full(ext, args), at(`truncated.${ext}`)), outcome, why);
  const video = join(src, 'full.mp4');
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-i', speech, '-t', '3', '-c:v', 'libx264', '-c:a', 'aac', '-shortest', video]);
  add('truncated mp4 video', truncate(video, at('truncated.mp4')), 'CORRUPT_AUDIO', 'the index (moov) is at the end and missing');

  add('WAV header longer than data', patchWav(speech, at('header-longer.wav'), (b, data) => {
    b.writeUInt32LE(b.readUInt32LE(data + 4) * 10, data + 4);
    b.writeUInt32LE(b.readUInt32LE(4) * 10, 4);
  }), 'CORRUPT_AUDIO', 'declares 30 s, holds 3 s: truncated');
  add('WAV header shorter than data', patchWav(speech, at('header-shorter.wav'), (b, data) => b.writeUInt32LE(32_000, data + 4)), 'text', 'the declared 1 s is read, the rest ignored (as every player does)');
  add('WAV with 0 channels', patchWav(speech, at('zero-channels.wav'), (b) => b.writeUInt16LE(0, 22)), 'CORRUPT_AUDIO', 'no decoder opens it');

  const videoOnly = at('video-only.mp4');
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-t', '3', '-c:v', 'libx264', videoOnly]);
  add('video without audio', videoOnly, 'NOT_AUDIO', 'nothing to transcribe');

  const six = at('six-channels.wav');
  sox([speech, six, 'remix', '1', '1', '1', '1', '1', '1']);
  add('6 channels (5.1)', six, 'text', 'mixed down to mono');
  const low = at('rate-8k.wav');
  sox([speech, '-r', '8000', low]);
  add('8 kHz', low, 'text', 'resampled to 16 kHz');
  const high = at('rate-96k.flac');
  sox([speech, '-r', '96000', '-b', '24', high]);
  add('96 kHz / 24 bit', high, 'text', 'resampled to 16 kHz');

  // The bomb: a minute of silence at Opus's lowest rate (120 ms frames, ~5 bytes each), then the same
  // packets stream-copied 1440 times: 24 h, about 4 MB on disk, 2.7 GB as 16 kHz PCM.
  const minute = join(src, 'minute.opus');
  ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=mono', '-t', '60', '-c:a', 'libopus', '-b:a', '500', '-vbr', 'on', '-frame_duration', '120', '-application', 'voip', minute]);
  const bomb = at('bomb-24h.opus');
  ffmpeg(['-stream_loop', '1439', '-i', minute, '-c', 'copy', bomb]);
  add(`24 h of silence in ${Math.round(statSync(bomb).size / 1e6)} MB of Opus`, bomb, 'AUDIO_TOO_LONG', 'over limits.maxAudioSec (10 h) on the probe: nothing is decoded');

  const silence = at('silence.wav');
  sox(['-n', '-r', '16000', '-c', '1', '-b', '16', silence, 'trim', '0', '3']);
  add('silence only', silence, 'empty', 'no words is a transcript, not an error');
  const empty = at('empty.mp3');
  writeFileSync(empty, '');
  add('empty file (0 bytes)', empty, 'EMPTY_AUDIO', 'nothing to decode');

  const named = (id: string, name: string, clientName = name) => {
    const path = at(name);
    copyFileSync(speech, path);
    add(id, path, 'text', 'the name is only a name', clientName);
  };
  named('unicode name', UNICODE_NAME);
  named('255-byte name', LONG_NAME);
  named('shell metacharacters in the name', SHELL_NAME);
  // On disk a name cannot hold '/': a backslash there, and the client sends a traversal.
  named('path separators in the name', 'up\\..\\..\\etc\\passwd.wav', '../../../etc/passwd.wav');
  return cases;
}

export const expectedLabel = (c: CorpusCase): string => ('code' in c.expect ? c.expect.code : c.expect.transcript === 'empty' ? 'empty transcript' : 'transcript');
