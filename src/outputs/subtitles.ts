/**
 * Subtitle formats: SubRip (`srt`) and WebVTT (`vtt`), sharing one cue list. Speakers: SRT cues start
 * with `[SPEAKER_1]` (counted against the line length), VTT cues are voice spans `<v Speaker 1>`.
 */
import type { OutputDocument } from './document.js';
import { buildCues, DEFAULT_CUE_LIMITS, type Cue } from './cues.js';
import { speakerName } from './speakers.js';
import { formatTimestamp, toWholeMs } from './time.js';

/** A cue may not end before it starts; players drop such cues. */
function cueTimes(cue: Cue, separator: ',' | '.'): string {
  const endSec = Math.max(toWholeMs(cue.endSec), toWholeMs(cue.startSec)) / 1000;
  return `${formatTimestamp(cue.startSec, separator)} --> ${formatTimestamp(endSec, separator)}`;
}

/** Numbered cues separated by blank lines; "" when there is nothing to show. */
export function renderSrt(doc: OutputDocument): string {
  const cues = buildCues(doc.transcript.utterances, doc.subtitles ?? DEFAULT_CUE_LIMITS, { label: (speaker) => `[${speaker}] ` });
  const blocks = cues.map((cue, i) => `${i + 1}\n${cueTimes(cue, ',')}\n${cue.lines.join('\n')}`);
  return blocks.length === 0 ? '' : `${blocks.join('\n\n')}\n`;
}

/** WebVTT cue text is HTML-like: escape markup characters (this also defuses a literal `-->`). */
function escapeVtt(line: string): string {
  return line.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `WEBVTT` header, blank line, cues; just the header when there is nothing to show. */
export function renderVtt(doc: OutputDocument): string {
  const blocks = buildCues(doc.transcript.utterances, doc.subtitles ?? DEFAULT_CUE_LIMITS).map((cue) => {
    const voice = cue.speaker !== undefined ? `<v ${escapeVtt(speakerName(cue.speaker))}>` : '';
    return `${cueTimes(cue, '.')}\n${voice}${cue.lines.map(escapeVtt).join('\n')}`;
  });
  return blocks.length === 0 ? 'WEBVTT\n' : `WEBVTT\n\n${blocks.join('\n\n')}\n`;
}
