/**
 * The transcript: paragraphs with a timestamp each, every word clickable to seek the player, the word
 * being played highlighted. Text is rendered as text (never HTML). Blocks (a segment while the job
 * runs, 20 paragraphs once it is done) render once each; playback touches two words' classes only.
 * Keyboard: Tab reaches the transcript, ←/→ move between words, Enter or Space plays from one.
 */
import { memo } from 'preact/compat';
import { useEffect, useRef, useState } from 'preact/hooks';
import { clock } from '../format';
import type { Block } from '../job/paragraphs';
import type { PlayerBus } from '../job/player-bus';

const TranscriptBlock = memo(function TranscriptBlock(props: { block: Block }) {
  return (
    <div class="block" data-block={props.block.key}>
      {props.block.paragraphs.map((p, i) => (
        <p key={i}>
          <button type="button" class="stamp" data-s={p.start} aria-label={`Play from ${clock(p.start)}`}>
            {clock(p.start)}
          </button>{' '}
          {p.words.map((w, j) => (
            <span key={j}>
              <span class="w" data-s={w.start} data-e={w.end} tabIndex={-1}>
                {w.text}
              </span>{' '}
            </span>
          ))}
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

/** Blocks added per frame: a whole hour's transcript appears over a few frames, never in one long task. */
const BLOCKS_PER_FRAME = 3;

/** How many of `blocks` to render now: all that were there before, and a few more each frame. */
function useProgressive(blocks: Block[]): number {
  const [shown, setShown] = useState(0);
  const first = blocks[0];
  // A different list (the stitched transcript replacing the live one) starts over.
  useEffect(() => setShown(0), [first?.key.charAt(0)]);
  useEffect(() => {
    if (shown >= blocks.length) return;
    const frame = requestAnimationFrame(() => setShown((n) => Math.min(blocks.length, n + BLOCKS_PER_FRAME)));
    return () => cancelAnimationFrame(frame);
  }, [shown, blocks.length]);
  return Math.min(shown, blocks.length);
}

export function Transcript(props: { blocks: Block[]; bus: PlayerBus; live: boolean }) {
  const shown = useProgressive(props.blocks);
  const root = useRef<HTMLDivElement>(null);
  const index = useRef<{ words: HTMLElement[]; starts: Float64Array } | null>(null);
  const current = useRef<HTMLElement | null>(null);

  // The word list is rebuilt lazily after a render changed the blocks.
  useEffect(() => {
    index.current = null;
  }, [props.blocks, shown]);
  const words = () => {
    if (!index.current && root.current) {
      const list = Array.from(root.current.querySelectorAll<HTMLElement>('.w'));
      index.current = { words: list, starts: Float64Array.from(list, (el) => Number(el.dataset.s)) };
      if (list.length > 0 && !root.current.querySelector('.w[tabindex="0"]')) list[0]!.tabIndex = 0;
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
  const onClick = (event: MouseEvent) => {
    const el = (event.target as HTMLElement).closest<HTMLElement>('.w, .stamp');
    if (el) seekTo(el);
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
    el.tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
  };

  return (
    <section class="transcript" aria-labelledby="transcript-title">
      <h2 id="transcript-title">Transcript</h2>
      <p id="transcript-help" class="visually-hidden">
        Use the arrow keys to move between words; Enter plays from the word.
      </p>
      {props.blocks.length === 0 && <p class="muted">{props.live ? 'Waiting for the first segment…' : 'No transcript.'}</p>}
      <div class="text" ref={root} onClick={onClick} onKeyDown={onKeyDown} role="group" aria-describedby="transcript-help">
        {props.blocks.slice(0, shown).map((block) => (
          <TranscriptBlock key={block.key} block={block} />
        ))}
      </div>
    </section>
  );
}
