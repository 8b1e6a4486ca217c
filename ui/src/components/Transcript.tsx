/**
 * The transcript: paragraphs with a timestamp each, every word clickable to seek the player, the word
 * being played highlighted. Text is rendered as text (never HTML). Blocks (a segment while the job
 * runs, ~150 words once it is done) render once each; playback touches two words' classes only.
 * Keyboard: Tab reaches the transcript, ←/→ move between words, Enter or Space plays from one.
 */
import { memo } from 'preact/compat';
import { useEffect, useRef, useState } from 'preact/hooks';
import { clock } from '../format';
import type { Block } from '../job/paragraphs';
import type { PlayerBus } from '../job/player-bus';

const TranscriptBlock = memo(function TranscriptBlock(props: { block: Block; first: boolean }) {
  return (
    <div class="block" data-block={props.block.key}>
      {props.block.paragraphs.map((p, i) => (
        <p key={i}>
          <button type="button" class="stamp" data-s={p.start} aria-label={`Play from ${clock(p.start)}`}>
            {clock(p.start)}
          </button>{' '}
          {p.words.map((w, j) => [
            // The first word is the transcript's tab stop; the arrow keys move it (roving tabindex).
            <span key={j} class="w" data-s={w.start} {...(props.first && i === 0 && j === 0 ? { tabIndex: 0 } : {})}>
              {w.text}
            </span>,
            ' ',
          ])}
        </p>
      ))}
    </div>
  );
});

/** Index of the last element whose start is ≤ t (-1 if none). */
function lastAtOrBefore(starts: Float64Array, t: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid]! <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * How many of the finished transcript's blocks (~150 words each) to render now: one more each frame,
 * so an hour's transcript appears over a second or so and never in one long task.
 */
function useProgressive(blocks: Block[] | null): number {
  const [shown, setShown] = useState(0);
  const count = blocks?.length ?? 0;
  useEffect(() => setShown(0), [blocks]);
  useEffect(() => {
    if (shown >= count) return;
    const frame = requestAnimationFrame(() => setShown((n) => Math.min(count, n + 1)));
    return () => cancelAnimationFrame(frame);
  }, [shown, count]);
  return Math.min(shown, count);
}

/**
 * The blocks on the page: while the finished transcript is being rendered, its first blocks and then
 * the live (per-segment) blocks it does not cover yet, so the swap removes and adds a little per frame.
 */
function visibleBlocks(live: readonly Block[], final: readonly Block[] | null, shown: number): Block[] {
  if (!final) return [...live];
  const done = final.slice(0, shown);
  if (shown >= final.length) return done;
  const coveredUntil = done.at(-1)?.end ?? -Infinity;
  return [...done, ...live.filter((b) => b.end > coveredUntil)];
}

export function Transcript(props: { live: Block[]; final: Block[] | null; bus: PlayerBus; running: boolean }) {
  const shown = useProgressive(props.final);
  const blocks = visibleBlocks(props.live, props.final, shown);
  const root = useRef<HTMLDivElement>(null);
  const index = useRef<{ words: HTMLElement[]; starts: Float64Array } | null>(null);
  const current = useRef<HTMLElement | null>(null);

  // The word list is rebuilt lazily after a render changed the blocks.
  useEffect(() => {
    index.current = null;
  }, [props.live, props.final, shown]);
  const words = () => {
    if (!index.current && root.current) {
      const list = Array.from(root.current.querySelectorAll<HTMLElement>('.w'));
      index.current = { words: list, starts: Float64Array.from(list, (el) => Number(el.dataset.s)) };
    }
    return index.current ?? { words: [], starts: new Float64Array(0) };
  };

  useEffect(
    () =>
      props.bus.onTime((t) => {
        const { words: list, starts } = words();
        const at = lastAtOrBefore(starts, t + 0.01);
        const el = at >= 0 ? list[at]! : null;
        if (el === current.current) return;
        current.current?.classList.remove('current');
        el?.classList.add('current');
        current.current = el;
      }),
    [props.bus],
  );

  const seekTo = (el: HTMLElement) => props.bus.seek(Number(el.dataset.s), true);
  /** The word that Tab reaches in the transcript (one at a time: a roving tabindex). */
  const makeTabStop = (el: HTMLElement) => {
    root.current?.querySelector('.w[tabindex="0"]')?.removeAttribute('tabindex');
    el.tabIndex = 0;
  };
  const onClick = (event: MouseEvent) => {
    const el = (event.target as HTMLElement).closest<HTMLElement>('.w, .stamp');
    if (!el) return;
    if (el.classList.contains('w')) makeTabStop(el);
    seekTo(el);
  };
  const onKeyDown = (event: KeyboardEvent) => {
    const el = (event.target as HTMLElement).closest<HTMLElement>('.w');
    if (!el) return;
    const { words: list } = words();
    const at = list.indexOf(el);
    let next: HTMLElement | undefined;
    if (event.key === 'ArrowRight') next = list[at + 1];
    else if (event.key === 'ArrowLeft') next = list[at - 1];
    else if (event.key === 'Home') next = list[0];
    else if (event.key === 'End') next = list.at(-1);
    else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      seekTo(el);
      return;
    } else return;
    event.preventDefault();
    if (!next) return;
    makeTabStop(next);
    next.focus();
  };

  return (
    <section class="transcript" aria-labelledby="transcript-title">
      <h2 id="transcript-title">Transcript</h2>
      <p id="transcript-help" class="visually-hidden">
        Use the arrow keys to move between words; Enter plays from the word.
      </p>
      {blocks.length === 0 && <p class="muted">{props.running ? 'Waiting for the first segment…' : props.final ? '' : 'No transcript.'}</p>}
      <div class="text" ref={root} onClick={onClick} onKeyDown={onKeyDown} role="group" aria-describedby="transcript-help">
        {blocks.map((block) => (
          <TranscriptBlock key={block.key} block={block} first={block === blocks[0]} />
        ))}
      </div>
    </section>
  );
}
