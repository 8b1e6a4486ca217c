/**
 * `--speakers channels`: a recording with one speaker per channel (a stereo call, a two-mic
 * interview). Each channel is its own track through the normal job machinery (runJob with `channel`:
 * its own job row, cache key and segments; the decoder picks the channel with ffmpeg's pan filter),
 * and the tracks are merged by time (stitch/tracks.ts) with channel n as SPEAKER_n. Model-free: the
 * labels are exactly as good as the channel separation.
 */
import { probeAudio } from '../audio/probe.js';
import { ParascribeError } from '../errors.js';
import { OUTPUT_FORMATS } from '../outputs/formats.js';
import { speakerId } from '../outputs/speakers.js';
import { assertWritableOutput, writeFileAtomic } from '../outputs/write.js';
import { mergeTracks } from '../stitch/tracks.js';
import type { Transcript } from '../transcript.js';
import type { JobEvents } from './events.js';
import { resolveChain, runJob, type JobOutcome, type JobRequest } from './job.js';

/** More than this many channels is surround sound, not a speaker per channel. */
export const MAX_SPEAKER_CHANNELS = 8;

export interface ChannelJobsRequest extends Omit<JobRequest, 'channel' | 'jobId' | 'events'> {
  /** Events for the job of one channel (0-based) of `channels`. */
  eventsFor?: (channel: number, channels: number) => JobEvents | undefined;
  /** Each track's outcome as it finishes. */
  onTrack?: (outcome: JobOutcome, channel: number, channels: number) => void;
}

export interface ChannelJobsOutcome {
  /** One per channel, in channel order. */
  tracks: JobOutcome[];
  /** The merged transcript (null for plan-only runs). */
  transcript: Transcript | null;
  output: string | null;
}

export async function runChannelJobs(request: ChannelJobsRequest): Promise<ChannelJobsOutcome> {
  const { eventsFor, onTrack, ...base } = request;
  if (request.outputPath) await assertWritableOutput(request.outputPath);
  let channels: number;
  try {
    channels = (await probeAudio(request.input, { signal: request.signal })).channels ?? 1;
  } catch (error) {
    // A job of the first channel fails the same way and puts the failure on record.
    await runJob({ ...base, outputPath: null, channel: 0 });
    throw error;
  }
  if (channels < 2) {
    throw new ParascribeError('INVALID_ARGUMENT', `${request.input}: --speakers channels needs a recording with one speaker per channel, and this one has a single channel`);
  }
  if (channels > MAX_SPEAKER_CHANNELS) {
    throw new ParascribeError('INVALID_ARGUMENT', `${request.input}: --speakers channels takes at most ${MAX_SPEAKER_CHANNELS} channels (this one has ${channels})`);
  }
  const tracks: JobOutcome[] = [];
  for (let channel = 0; channel < channels; channel++) {
    if (request.signal.aborted) throw new ParascribeError('ABORTED', 'aborted');
    const events = eventsFor?.(channel, channels);
    const outcome = await runJob({ ...base, outputPath: null, channel, ...(events ? { events } : {}) });
    tracks.push(outcome);
    onTrack?.(outcome, channel, channels);
  }
  if (request.planOnly || tracks.some((t) => t.transcript === null)) return { tracks, transcript: null, output: null };
  const transcript = mergeTracks(tracks.map((t, i) => ({ speaker: speakerId(i + 1), transcript: t.transcript! })));
  if (request.outputPath) {
    const { primary } = resolveChain(request.config, request.runtime.backends);
    const rendered = OUTPUT_FORMATS[request.format].render({
      // Each track is a job of its own; the document names them all.
      job: { id: tracks.map((t) => t.jobId).join('+'), source: request.input, backend: primary.id, model: primary.model, createdAt: new Date().toISOString() },
      transcript,
      subtitles: request.config.subtitles,
    });
    await writeFileAtomic(request.outputPath, rendered, { signal: request.signal });
  }
  return { tracks, transcript, output: request.outputPath };
}
