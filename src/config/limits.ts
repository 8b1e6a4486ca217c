/**
 * What one job may cost, checked before work is spent (docs/api.md, README "Limits"): the audio's
 * duration (on the probe, and again by the decoder, since a container can lie about its length) and
 * the decoded PCM the job keeps on disk (32 kB per audio second). A small Opus file of hours of
 * silence is cheap to upload and expensive to decode and transcribe: these bound it.
 */
import { z } from 'zod';

export const limitsSchema = z
  .object({
    /** Longest recording one job takes, in seconds (default 10 h). */
    maxAudioSec: z.number().positive().default(36_000),
    /** Decoded 16 kHz mono PCM one job may write to disk, in MiB (default 2048: about 18.6 h). */
    maxDecodedMb: z.number().positive().default(2048),
    /**
     * Wall-clock seconds one job's decode may take (default 1 h; 10 h of audio decodes in about a
     * minute here): the work limit behind the duration limits, for input that is slow to decode.
     */
    maxDecodeSec: z.number().positive().default(3600),
  })
  .strict();

export type LimitsConfig = z.infer<typeof limitsSchema>;
export const DEFAULT_LIMITS: LimitsConfig = limitsSchema.parse({});
