import type { SubtitleOptions } from '../config/outputs.js';
import type { JobTelemetry } from '../telemetry/summary.js';
import type { Transcript } from '../transcript.js';

/** Everything an output format may print: the job's identity, the stitched transcript and (optionally) telemetry. */
export interface OutputDocument {
  job: {
    id: string;
    /** The input path or URL as the user gave it. */
    source: string;
    backend: string;
    model: string;
    /** ISO 8601. */
    createdAt: string;
  };
  transcript: Transcript;
  telemetry?: JobTelemetry;
  /** Cue limits for srt and vtt (config `subtitles`); absent: the defaults. */
  subtitles?: SubtitleOptions;
}
