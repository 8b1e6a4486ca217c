/**
 * Citations: `[hh:mm:ss]` (or `[h:mm:ss]`, `[mm:ss]`) in an answer. Each is checked against the
 * passages the model was given: a time no given passage covers (a made-up time, or one from a part of
 * the recording left out of the context) is dropped from the answer and reported. The check runs on
 * the stream itself (CitationFilter), so a dropped citation is never shown.
 *
 * A passage covers [floor(start), ceil(end)]: its marker is truncated to the second
 * (src/outputs/time.ts formatMarker), so a passage starting at 12.7 s is cited as [00:00:12].
 */

export interface Span {
  startSec: number;
  endSec: number;
}

export interface Citation {
  /** As written, brackets included. */
  marker: string;
  sec: number;
}

export interface CheckedCitation extends Citation {
  /** Start of the passage that covers it. */
  passageStartSec: number;
}

export interface DroppedCitation extends Citation {
  reason: string;
}

const FULL = /^\[(?:(\d{1,2}):)?(\d{1,2}):(\d{2})\]$/;
/** What may still grow into a citation: `[`, `[0`, `[00:1`, `[00:12:3`... */
const PARTIAL = /^\[\d{0,2}(?::\d{0,2}(?::\d{0,2})?)?$/;

/** Seconds of a marker (`[01:02:03]` → 3723), or undefined if it is not one. */
export function parseMarker(marker: string): number | undefined {
  const m = FULL.exec(marker);
  if (!m) return undefined;
  const [h, mm, ss] = [Number(m[1] ?? 0), Number(m[2]), Number(m[3])];
  if (ss >= 60 || (m[1] !== undefined && mm >= 60)) return undefined;
  return h * 3600 + mm * 60 + ss;
}

export function coveringSpan<S extends Span>(sec: number, spans: readonly S[]): S | undefined {
  return spans.find((s) => Math.floor(s.startSec) <= sec && sec <= Math.ceil(s.endSec));
}

/** Every citation in a finished text, checked (for answers that were not streamed through a filter). */
export function checkCitations(text: string, spans: readonly Span[], transcript: readonly Span[] = spans): { valid: CheckedCitation[]; dropped: DroppedCitation[]; text: string } {
  const filter = new CitationFilter(spans, transcript);
  const out = filter.push(text) + filter.end();
  return { valid: filter.valid, dropped: filter.dropped, text: out };
}

/**
 * Streams text through, holding back only what may be a citation until it is complete: `push` returns
 * what can be shown now, `end` the rest.
 */
export class CitationFilter {
  readonly valid: CheckedCitation[] = [];
  readonly dropped: DroppedCitation[] = [];
  #held = '';

  /** `spans`: what the model was given; `transcript`: the whole transcript's passages, to say why a time was dropped. */
  constructor(
    private readonly spans: readonly Span[],
    private readonly transcript: readonly Span[] = spans,
  ) {}

  push(delta: string): string {
    let out = '';
    for (const ch of delta) {
      if (this.#held === '') {
        if (ch === '[') this.#held = ch;
        else out += ch;
        continue;
      }
      const candidate = this.#held + ch;
      if (ch === ']') {
        out += this.#settle(candidate);
        this.#held = '';
      } else if (PARTIAL.test(candidate)) {
        this.#held = candidate;
      } else {
        // Not a citation after all: show what was held; a new '[' may start one.
        out += this.#held;
        this.#held = ch === '[' ? ch : '';
        if (ch !== '[') out += ch;
      }
    }
    return out;
  }

  end(): string {
    const rest = this.#held;
    this.#held = '';
    return rest;
  }

  #settle(marker: string): string {
    const sec = parseMarker(marker);
    if (sec === undefined) return marker; // [12] or [a:b]: brackets, not a time
    const span = coveringSpan(sec, this.spans);
    if (span) {
      this.valid.push({ marker, sec, passageStartSec: span.startSec });
      return marker;
    }
    const reason = coveringSpan(sec, this.transcript) ? 'that part of the transcript was not in the context' : 'no part of the transcript covers this time';
    this.dropped.push({ marker, sec, reason });
    return '';
  }
}
