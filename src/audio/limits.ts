/** The per-job cost limits (config `limits`) applied to a probed input and to its decode. */
import type { LimitsConfig } from '../config/limits.js';
import { ParascribeError } from '../errors.js';
import { BYTES_PER_SEC, type DecodeOptions } from './decode.js';
import type { AudioInfo } from './probe.js';

const MIB = 1024 * 1024;

const clock = (sec: number): string => {
  if (sec < 10 && !Number.isInteger(sec)) return `${sec} s`;
  const total = Math.round(sec);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : m > 0 ? `${m} min ${String(s).padStart(2, '0')} s` : `${s} s`;
};

/** Refuses, before anything is decoded, a recording whose probed duration is over `limits.maxAudioSec`. */
export function checkAudioDuration(info: Pick<AudioInfo, 'path' | 'durationSec'>, limits: Pick<LimitsConfig, 'maxAudioSec'>): void {
  if (info.durationSec === null || info.durationSec <= limits.maxAudioSec) return;
  throw new ParascribeError(
    'AUDIO_TOO_LONG',
    `${info.path}: the recording is ${clock(info.durationSec)} long; this server takes at most ${clock(limits.maxAudioSec)} per job (limits.maxAudioSec = ${limits.maxAudioSec})`,
    { details: { durationSec: info.durationSec, maxAudioSec: limits.maxAudioSec } },
  );
}

/** The decoder's deadline (config `limits.maxDecodeSec`), with the reason its error gives. */
export function decodeDeadline(limits: Pick<LimitsConfig, 'maxDecodeSec'>): NonNullable<DecodeOptions['maxDecodeMs']> {
  return {
    ms: limits.maxDecodeSec * 1000,
    reason: `decoding took longer than ${clock(limits.maxDecodeSec)}, the most one job may spend on it (limits.maxDecodeSec = ${limits.maxDecodeSec})`,
  };
}

/** The decoder's stop: the smaller of the duration limit (as PCM, a second of slack) and the disk limit. */
export function decodeLimit(limits: Pick<LimitsConfig, 'maxAudioSec' | 'maxDecodedMb'>): NonNullable<DecodeOptions['maxBytes']> {
  const byDuration = Math.ceil((limits.maxAudioSec + 1) * BYTES_PER_SEC);
  const byDisk = Math.floor(limits.maxDecodedMb * MIB);
  return byDuration <= byDisk
    ? { bytes: byDuration, reason: `the decoded audio runs past ${clock(limits.maxAudioSec)}, the most this server takes per job (limits.maxAudioSec = ${limits.maxAudioSec}); its container under-reported its length` }
    : { bytes: byDisk, reason: `the decoded audio would take more than ${limits.maxDecodedMb} MiB of disk, the most one job may use (limits.maxDecodedMb = ${limits.maxDecodedMb})` };
}
