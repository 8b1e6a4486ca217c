/**
 * Everything the job page shows, kept live while the job runs: the job (SSE `progress`/`done`/`error`),
 * the segments' text in order (SSE `segment`, resumed with Last-Event-ID after a dropped connection),
 * the segments' timings (polled), the waveform peaks (polled until the decode is complete) and, once
 * completed, the stitched transcript. Segment events are applied once per animation frame, so a burst
 * (an hour-long job opened after the fact) never blocks the page.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { TERMINAL } from '../format';
import { readSse } from '../sse';
import type { Job, Peaks, SegmentEvent, SegmentList, TranscriptJson } from '../types';

export interface JobLive {
  job: Job | null;
  segments: SegmentEvent[];
  timings: SegmentList | null;
  peaks: Peaks | null;
  transcript: TranscriptJson | null;
  error: string | null;
}

const PEAK_POINTS = 3000;
const SEGMENTS_PER_FRAME = 4;

export function useJobLive(id: string): JobLive {
  const [job, setJob] = useState<Job | null>(null);
  const [segments, setSegments] = useState<SegmentEvent[]>([]);
  const [timings, setTimings] = useState<SegmentList | null>(null);
  const [peaks, setPeaks] = useState<Peaks | null>(null);
  const [transcript, setTranscript] = useState<TranscriptJson | null>(null);
  const [error, setError] = useState<string | null>(null);
  const status = job?.status;
  const terminal = status !== undefined && TERMINAL.has(status);
  const pending = useRef<SegmentEvent[]>([]);

  // The job, then its event stream (unless it already completed: then the stitched transcript).
  useEffect(() => {
    const abort = new AbortController();
    const { signal } = abort;
    let frame = 0;
    // At most a few segments per frame: a burst (an hour's worth on opening a running job) renders over several frames.
    const flush = () => {
      frame = 0;
      const batch = pending.current.splice(0, SEGMENTS_PER_FRAME);
      performance.mark(`ps:segments:${batch.length}`);
      if (batch.length) setSegments((all) => [...all, ...batch.filter((s) => s.index >= all.length)]);
      if (pending.current.length) frame = requestAnimationFrame(flush);
    };
    const loadTranscript = () =>
      api.transcript(id, 'json').then(async (blob) => { performance.mark('ps:final-fetched'); return !signal.aborted && setTranscript(JSON.parse(await blob.text()) as TranscriptJson); }).catch(() => undefined);
    (async () => {
      let current: Job;
      try {
        current = await api.job(id, signal);
      } catch (e) {
        if (!signal.aborted) setError(e instanceof ApiError && e.status === 404 ? 'No such job (or not yours).' : (e as Error).message);
        return;
      }
      setJob(current);
      if (current.status === 'completed') return void loadTranscript();
      let lastId: string | null = null;
      for (let attempt = 0; !signal.aborted; attempt++) {
        let ended = false;
        try {
          await readSse(`/v1/jobs/${encodeURIComponent(id)}/events`, {
            signal,
            lastEventId: lastId,
            onMessage: (m) => {
              const data = JSON.parse(m.data) as Record<string, unknown>;
              if (m.event === 'segment') {
                lastId = m.id;
                pending.current.push(data as unknown as SegmentEvent);
                frame ||= requestAnimationFrame(flush);
              } else if (m.event === 'progress') {
                setJob((j) => j && { ...j, status: data.status as Job['status'], progress: { stage: data.stage as string | null, segments_done: data.segments_done as number, segments_total: data.segments_total as number | null } });
              } else if (m.event === 'done') {
                ended = true;
                performance.mark('ps:done');
                setJob(data as unknown as Job);
                void loadTranscript();
              } else if (m.event === 'error') {
                ended = true;
                const body = data as { status: Job['status']; error: Job['error'] };
                setJob((j) => j && { ...j, status: body.status, error: body.error });
              }
            },
          });
        } catch (e) {
          if (signal.aborted) return;
          if (e instanceof ApiError && e.status < 500) return setError(e.message);
        }
        if (ended || signal.aborted) return;
        // Dropped: reconnect after a pause, resuming after the last segment received.
        await new Promise((r) => setTimeout(r, Math.min(5000, 500 * 2 ** attempt)));
      }
    })();
    return () => {
      abort.abort();
      cancelAnimationFrame(frame);
    };
  }, [id]);

  // Segment timings: polled while the job runs, read once more when it ends.
  useEffect(() => {
    if (!status) return;
    const abort = new AbortController();
    const load = () => api.segments(id, abort.signal).then(setTimings, () => undefined);
    void load();
    if (terminal) return () => abort.abort();
    const timer = setInterval(load, 1500);
    return () => {
      clearInterval(timer);
      abort.abort();
    };
  }, [id, status, terminal]);

  // Peaks: polled until complete (they grow while the audio is decoded).
  const peaksComplete = peaks?.complete ?? false;
  useEffect(() => {
    if (!status || peaksComplete) return;
    const abort = new AbortController();
    const load = () => api.peaks(id, PEAK_POINTS, abort.signal).then(setPeaks, () => undefined);
    void load();
    if (terminal) return () => abort.abort();
    const timer = setInterval(load, 2000);
    return () => {
      clearInterval(timer);
      abort.abort();
    };
  }, [id, status, terminal, peaksComplete]);

  return { job, segments, timings, peaks, transcript, error };
}
