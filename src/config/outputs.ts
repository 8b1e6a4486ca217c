/**
 * Output settings: subtitle cue limits (src/outputs/cues.ts) and where speaker labels come from
 * (src/pipeline/channels.ts, docs/speakers.md).
 */
import { z } from 'zod';

/**
 * Defaults follow common broadcast guidance (BBC, EBU, Netflix's English style guide): at most 2
 * lines of 42 characters, 7 s on screen, and a reading speed of 20 characters per second.
 */
export const subtitlesSchema = z
  .object({
    /** Characters per line (--max-line-chars). */
    maxLineChars: z.number().int().min(10).max(200).default(42),
    /** Lines per cue (--max-lines). */
    maxLines: z.number().int().min(1).max(10).default(2),
    /** Seconds a cue stays on screen at most (--max-cue-sec). */
    maxCueSec: z.number().min(1).max(60).default(7),
    /**
     * Reading speed, characters per second (--max-cps): cues are cut and held on screen so that they
     * stay under it where the speech allows; speech faster than this keeps its words and times.
     */
    maxCps: z.number().min(5).max(100).default(20),
  })
  .strict();

export type SubtitleOptions = z.infer<typeof subtitlesSchema>;
export const DEFAULT_SUBTITLES: SubtitleOptions = subtitlesSchema.parse({});

/**
 * Speaker labels: 'none'; 'channels' (a stereo recording with one speaker per channel: each channel
 * is its own track, merged by time); 'backend' (the backend's own diarization, where it has one).
 */
export const SPEAKER_SOURCES = ['none', 'channels', 'backend'] as const;
export type SpeakerSource = (typeof SPEAKER_SOURCES)[number];
