/** Subtitle formats: SubRip (`srt`) and WebVTT (`vtt`), sharing one cue list. */
import type { OutputDocument } from './document.js';
import { buildCues, type Cue } from './cues.js';
import { formatTimestamp, toWholeMs } from './time.js';

/** A cue may not end before it starts; players drop such cues. */
function cueTimes(cue: Cue, separator: ',' | '.'): string {
  const endSec = Math.max(toWholeMs(cue.endSec), toWholeMs(cue.startSec)) / 1000;
  return `${formatTimestamp(cue.startSec, separator)} --> ${formatTimestamp(endSec, separator)}`;
}

/** Numbered cues separated by blank lines; "" when there is nothing to show. */
export function renderSrt(doc: OutputDocument): string {
  const blocks = buildCues(doc.transcript.utterances).map(
    (cue, i) => `${i + 1}\n${cueTimes(cue, ',')}\n${cue.lines.join('\n')}`,
  );
  return blocks.length === 0 ? '' : `${blocks.join('\n\n')}\n`;
}

/** WebVTT cue text is HTML-like: escape markup characters (this also defuses a literal `-->`). */
function escapeVtt(line: string): string {
  return line.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `WEBVTT` header, blank line, cues; just the header when there is nothing to show. */
export function renderVtt(doc: OutputDocument): string {
  const blocks = buildCues(doc.transcript.utterances).map(
    (cue) => `${cueTimes(cue, '.')}\n${cue.lines.map(escapeVtt).join('\n')}`,
  );
  return blocks.length === 0 ? 'WEBVTT\n' : `WEBVTT\n\n${blocks.join('\n\n')}\n`;
}
