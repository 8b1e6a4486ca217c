/**
 * The audio player: the job's upload (a signed, expiring URL: <audio> sends no Authorization header,
 * and the key never goes in a URL), with a wavesurfer.js waveform drawn from the server's peaks (the
 * browser decodes nothing). Keyboard: Space/K play-pause, ←/→ 5 s, J/L 15 s, Home/End.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import WaveSurfer from 'wavesurfer.js';
import { api, ApiError } from '../api';
import { clock } from '../format';
import type { PlayerBus } from '../job/player-bus';
import type { Peaks } from '../types';

const nonce = () => document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? '';

const WAVE_POINTS = 3000;

/**
 * The peaks over the whole duration in a fixed number of points (the waveform's cost does not grow
 * with the recording): while the audio is still being decoded, the part not decoded yet is silence.
 */
export function fullPeaks(peaks: Peaks, durationSec: number, points = WAVE_POINTS): number[] {
  const { data, sec_per_point: step } = peaks;
  if (peaks.complete || step <= 0 || durationSec <= peaks.decoded_sec) return data;
  const out = new Array<number>(points).fill(0);
  const span = durationSec / points;
  for (let j = 0; j < data.length; j++) {
    const i = Math.min(points - 1, Math.floor((j * step) / span));
    if (data[j]! > out[i]!) out[i] = data[j]!;
  }
  return out;
}

export function Player(props: { jobId: string; bus: PlayerBus; peaks: Peaks | null; durationSec: number | null; startAt?: number }) {
  const audio = useRef<HTMLAudioElement>(null);
  const wave = useRef<HTMLDivElement>(null);
  const surfer = useRef<WaveSurfer | null>(null);
  const [src, setSrc] = useState<string | null>(null);
  const [unavailable, setUnavailable] = useState<string | null>(null);
  const [playing, setPlaying] = useState(false);
  const [time, setTime] = useState(0);
  const [rate, setRate] = useState(1);
  const duration = props.durationSec ?? props.peaks?.duration_sec ?? 0;

  // A fresh signed URL; asked again when the audio fails (expired, or the server restarted).
  const loadUrl = () =>
    api.audioUrl(props.jobId).then(
      ({ url }) => setSrc(new URL(url, location.href).href),
      (e: Error) => setUnavailable(e instanceof ApiError && e.code === 'AUDIO_GONE' ? 'The upload is no longer kept on the server: the transcript remains.' : e.message),
    );
  useEffect(() => void loadUrl(), [props.jobId]);

  useEffect(() => {
    const media = audio.current!;
    const detach = props.bus.attach(media);
    const offTime = props.bus.onTime((sec) => setTime(Math.floor(sec * 4) / 4));
    const onPlay = () => setPlaying(true);
    const onPause = () => setPlaying(false);
    let retried = false;
    const onError = () => {
      if (retried) return;
      retried = true;
      void loadUrl();
    };
    media.addEventListener('play', onPlay);
    media.addEventListener('pause', onPause);
    media.addEventListener('error', onError);
    if (props.startAt !== undefined && Number.isFinite(props.startAt)) props.bus.seek(props.startAt);
    return () => {
      detach();
      offTime();
      media.removeEventListener('play', onPlay);
      media.removeEventListener('pause', onPause);
      media.removeEventListener('error', onError);
    };
  }, [props.bus]);

  useEffect(() => {
    if (!wave.current || !audio.current) return;
    const ws = WaveSurfer.create({
      container: wave.current,
      media: audio.current,
      height: 72,
      normalize: true,
      waveColor: '#8aa4c8',
      progressColor: '#1f5fbf',
      cursorColor: '#c0392b',
      cursorWidth: 2,
      barWidth: 2,
      barGap: 1,
      dragToSeek: true,
      cspNonce: nonce(),
    });
    surfer.current = ws;
    return () => {
      surfer.current = null;
      ws.destroy();
    };
  }, []);

  // (Re)draw when the URL or the peaks change; the media element keeps its position (same src).
  const peakCount = props.peaks?.data.length ?? 0;
  const decoded = props.peaks?.decoded_sec ?? 0;
  useEffect(() => {
    const ws = surfer.current;
    if (!ws || !src) return;
    if (props.peaks && duration > 0 && peakCount > 0) void ws.load(src, [fullPeaks(props.peaks, duration)], duration).catch(() => undefined);
    else if (audio.current && audio.current.src !== src) audio.current.src = src;
  }, [src, peakCount, decoded, duration]);

  const media = () => audio.current;
  const toggle = () => {
    const m = media();
    if (!m) return;
    if (m.paused) void m.play().catch(() => undefined);
    else m.pause();
  };
  const skip = (delta: number) => props.bus.seek(Math.min(duration || Infinity, props.bus.currentTime + delta));
  const onKey = (event: KeyboardEvent) => {
    // Buttons and the speed list handle their own keys.
    if ((event.target as HTMLElement).closest('select, button, input')) return;
    const actions: Record<string, () => void> = {
      ' ': toggle,
      k: toggle,
      ArrowLeft: () => skip(-5),
      ArrowRight: () => skip(5),
      j: () => skip(-15),
      l: () => skip(15),
      Home: () => props.bus.seek(0),
      End: () => props.bus.seek(Math.max(0, duration - 0.5)),
    };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  };

  return (
    <section class="player" aria-label="Audio player" tabIndex={0} onKeyDown={onKey}>
      <audio ref={audio} preload="metadata" class="visually-hidden" aria-hidden="true" />
      <div class="waveform" ref={wave} aria-hidden="true" />
      {props.peaks && !props.peaks.complete && <p class="small muted">Waveform: {Math.round(decoded)} s decoded so far…</p>}
      {unavailable && (
        <p class="muted small" role="status">
          {unavailable}
        </p>
      )}
      <div class="controls">
        <button type="button" onClick={() => skip(-5)} aria-label="Back 5 seconds" disabled={!!unavailable}>
          −5 s
        </button>
        <button type="button" class="play" onClick={toggle} aria-label={playing ? 'Pause' : 'Play'} disabled={!!unavailable}>
          {playing ? 'Pause' : 'Play'}
        </button>
        <button type="button" onClick={() => skip(5)} aria-label="Forward 5 seconds" disabled={!!unavailable}>
          +5 s
        </button>
        <span class="time" aria-live="off">
          <span class="current">{clock(time)}</span> / {clock(duration)}
        </span>
        <label class="inline small">
          Speed
          <select
            value={String(rate)}
            onChange={(e) => {
              const value = Number(e.currentTarget.value);
              setRate(value);
              if (audio.current) audio.current.playbackRate = value;
            }}
          >
            {[0.75, 1, 1.25, 1.5, 2].map((r) => (
              <option key={r} value={String(r)}>
                {r}×
              </option>
            ))}
          </select>
        </label>
      </div>
      <p class="small muted keys">Keys: Space play/pause, ←/→ 5 s, J/L 15 s.</p>
    </section>
  );
}
