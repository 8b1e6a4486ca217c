/**
 * How ffmpeg and ffprobe are allowed to open user media. Some demuxers read other files: an HLS
 * playlist (`#EXTM3U`) opens the paths or URLs its entries name, an `ffconcat` list opens the files
 * beside it, `image2` expands patterns. An upload of such a "container" would make the server
 * transcribe (and so disclose) its own files, or fetch URLs from inside the network. So every run
 * that opens an input passes a demuxer allowlist and a protocol allowlist (ffmpeg's own checks, made
 * before a demuxer reads its header), and names the input as `file:<absolute path>` so that a file
 * called `http:x` or `concat:a|b` is still just a file.
 */
import { resolve } from 'node:path';

/**
 * The self-contained containers people send: none of them names another file. Names are ffmpeg's
 * demuxer names; `matroska` also covers webm, `mov` covers mp4/m4a/3gp (its external data references,
 * `enable_drefs`, are off by default). `asf` is WMA/WMV, `mpegts`/`mpeg` broadcast and DVD-style
 * recordings, `wv` WavPack, `w64`/`caf`/`aiff`/`au` studio and Apple recorders' PCM.
 */
export const ALLOWED_DEMUXERS = [
  'wav',
  'w64',
  'mp3',
  'flac',
  'ogg',
  'matroska',
  'mov',
  'aac',
  'aiff',
  'caf',
  'amr',
  'asf',
  'avi',
  'mpegts',
  'mpeg',
  'flv',
  'wv',
  'au',
] as const;

/** Inputs are files; `pipe` only for ffmpeg's own output side. Never a network protocol. */
export const ALLOWED_PROTOCOLS = ['file', 'pipe'] as const;

/** The arguments that open `path` as a restricted input: allowlists, then `-i file:<absolute path>`. */
export function restrictedInputArgs(path: string): string[] {
  return [
    '-format_whitelist',
    ALLOWED_DEMUXERS.join(','),
    '-protocol_whitelist',
    ALLOWED_PROTOCOLS.join(','),
    '-i',
    `file:${resolve(path)}`,
  ];
}

/**
 * The demuxer ffmpeg found when it refused it: its log line is `[hls @ 0x…] Format not on whitelist
 * '…'`, the context's name being the probed format. null when the output says nothing of the kind.
 */
export function refusedDemuxer(stderr: string): string | null {
  const match = /^\[([\w,.-]+) @ [^\]]*\] Format not on whitelist/m.exec(stderr);
  if (match) return match[1]!;
  return /Format not on whitelist/.test(stderr) ? 'unknown' : null;
}

/**
 * The gist of a failed run for a message: the last (or first) line of its stderr without the input's
 * name (`file:/abs/path: Invalid data…`) or a log context (`[mp3 @ 0x…]`), which would only repeat a
 * server path.
 */
export function toolReason(stderr: string, path: string, which: 'first' | 'last' = 'last'): string {
  const lines = stderr.trim().split('\n').filter(Boolean);
  const line = (which === 'first' ? lines[0] : lines.at(-1)) ?? '';
  const absolute = resolve(path);
  return line
    .replace(/^\[[^\]]*\]\s*/, '')
    .replace(`file:${absolute}: `, '')
    .replaceAll(`file:${absolute}`, 'the input')
    .replaceAll(absolute, 'the input')
    .trim();
}

/**
 * The image format behind an image demuxer (`png_pipe` → png, `image2`, `gif`): a picture has no
 * audio to transcribe, which is the clearer answer than "unsupported container". null otherwise.
 */
export function imageFormat(demuxer: string): string | null {
  const pipe = /^(\w+)_pipe$/.exec(demuxer);
  if (pipe) return pipe[1]!;
  return demuxer === 'image2' || demuxer === 'gif' || demuxer === 'apng' ? (demuxer === 'image2' ? 'image' : demuxer) : null;
}

/** Whether a format name as ffprobe reports it (`mov,mp4,m4a,…`) is one the allowlist admits. */
export function isAllowedFormat(formatName: string): boolean {
  return formatName.split(',').some((name) => (ALLOWED_DEMUXERS as readonly string[]).includes(name));
}

const DESCRIPTIONS: Record<string, string> = {
  hls: 'an HLS playlist, which names other files or URLs',
  concat: 'an ffconcat list, which names other files',
  image2: 'an image sequence',
  dash: 'a DASH manifest, which names other files or URLs',
  tty: 'plain text',
};

/** The user-facing reason, naming what was found and what is accepted. */
export function unsupportedFormatMessage(found: string): string {
  const what = DESCRIPTIONS[found] ?? `the "${found}" container`;
  return `unsupported format: ${what}; accepted are self-contained audio or video files (wav, mp3, flac, ogg/opus, webm/mkv, mp4/m4a/mov/3gp, aac, aiff, caf, amr, wma, avi, mpeg-ts/ps, flv, wavpack, au)`;
}
