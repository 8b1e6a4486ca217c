/**
 * Media that names other files (issue 20): HLS playlists and ffconcat lists, generated as a hostile
 * client would write them, and a FIFO "bait" that proves whether anything opened the file a playlist
 * names. Opening a FIFO for writing blocks until a reader opens it, so a pending write-open that has
 * resolved means some process (ffmpeg) opened the bait; one that is still pending means nothing did.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { constants, open, type FileHandle } from 'node:fs/promises';

export interface Bait {
  path: string;
  /** Whether any process has opened the FIFO for reading since it was made. */
  opened(): boolean;
  /** Releases the pending open (and whoever opened it) and removes nothing: the caller owns the dir. */
  release(): Promise<void>;
}

export function makeBait(path: string): Bait {
  const made = spawnSync('mkfifo', [path], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`mkfifo ${path}: ${made.stderr}`);
  let opened = false;
  const writer = open(path, 'w').then((handle) => {
    opened = true;
    return handle;
  });
  return {
    path,
    opened: () => opened,
    async release() {
      let reader: FileHandle | undefined;
      // Our own reader completes the pending write-open; nothing else must be counted after this point.
      if (!opened) reader = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
      await (await writer).close();
      await reader?.close();
    },
  };
}

/** An HLS media playlist with one entry naming `target` (absolute or relative to the playlist). */
export function hlsPlaylist(target: string): string {
  return ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:60', '#EXT-X-MEDIA-SEQUENCE:0', '#EXTINF:60.0,', target, '#EXT-X-ENDLIST', ''].join('\n');
}

/** An ffconcat list naming `target` (ffmpeg's safe mode allows relative names beside the list). */
export function ffconcatList(target: string): string {
  return `ffconcat version 1.0\nfile '${target}'\nduration 60\n`;
}

export function writeText(path: string, text: string): string {
  writeFileSync(path, text);
  return path;
}
