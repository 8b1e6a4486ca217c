/**
 * The job page's one audio player, shared by the transcript (click to seek, highlight the current
 * word), the ask box's citations, search hits (?t=) and the timeline. Time updates go to listeners
 * directly (not through component state), so playback never re-renders the page.
 */
export class PlayerBus {
  media: HTMLAudioElement | null = null;
  readonly #listeners = new Set<(sec: number) => void>();
  #pendingSeek: number | null = null;
  #frame = 0;

  attach(media: HTMLAudioElement): () => void {
    this.media = media;
    const tick = () => this.#emit();
    const loop = () => {
      this.#emit();
      this.#frame = requestAnimationFrame(loop);
    };
    const onPlay = () => (this.#frame = requestAnimationFrame(loop));
    const onStop = () => cancelAnimationFrame(this.#frame);
    const onMeta = () => {
      if (this.#pendingSeek !== null) {
        media.currentTime = this.#pendingSeek;
        this.#pendingSeek = null;
      }
    };
    media.addEventListener('timeupdate', tick);
    media.addEventListener('seeked', tick);
    media.addEventListener('play', onPlay);
    media.addEventListener('pause', onStop);
    media.addEventListener('ended', onStop);
    media.addEventListener('loadedmetadata', onMeta);
    return () => {
      cancelAnimationFrame(this.#frame);
      media.removeEventListener('timeupdate', tick);
      media.removeEventListener('seeked', tick);
      media.removeEventListener('play', onPlay);
      media.removeEventListener('pause', onStop);
      media.removeEventListener('ended', onStop);
      media.removeEventListener('loadedmetadata', onMeta);
      if (this.media === media) this.media = null;
    };
  }

  /** Seeks (once the audio's metadata is there, if it is not yet) and tells the listeners at once. */
  seek(sec: number, play = false): void {
    const media = this.media;
    const target = Math.max(0, sec);
    if (!media || media.readyState < 1) this.#pendingSeek = target;
    else media.currentTime = target;
    for (const listener of this.#listeners) listener(target);
    if (play && media) void media.play().catch(() => undefined);
  }

  get currentTime(): number {
    return this.#pendingSeek ?? this.media?.currentTime ?? 0;
  }

  onTime(listener: (sec: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(): void {
    const now = this.currentTime;
    for (const listener of this.#listeners) listener(now);
  }
}
