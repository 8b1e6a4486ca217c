/** Plain-text formats: `txt` (paragraphs only) and `md` (titled, timestamped, for pasting into an LLM). */
import type { Transcript } from '../transcript.js';
import type { OutputDocument } from './document.js';
import { groupParagraphs, PARAGRAPH_GAP_SEC, type Paragraph } from './paragraphs.js';
import { speakerName } from './speakers.js';
import { formatDuration, formatMarker } from './time.js';

/** Markdown paragraphs are also cut at least this often so the time markers stay useful for navigation. */
export const MD_PARAGRAPH_MAX_SPAN_SEC = 60;

/** Falls back to the flat text when a backend produced text but no utterances. */
function paragraphsOf(transcript: Transcript, maxSpanSec?: number): Paragraph[] {
  const paragraphs = groupParagraphs(transcript.utterances, { minGapSec: PARAGRAPH_GAP_SEC, maxSpanSec });
  if (paragraphs.length > 0) return paragraphs;
  const text = transcript.text.trim();
  return text === '' ? [] : [{ startSec: 0, endSec: transcript.durationSec, text }];
}

/** The `md` format's paragraphs: what `ask` puts in a model's context, each under its time marker. */
export function mdParagraphs(transcript: Transcript): Paragraph[] {
  return paragraphsOf(transcript, MD_PARAGRAPH_MAX_SPAN_SEC);
}

/** One `md` paragraph as printed: `[hh:mm:ss] text`, or a speaker's turn `[hh:mm:ss] **Speaker 1:** text`. */
export function mdParagraphLine(paragraph: Pick<Paragraph, 'startSec' | 'text' | 'speaker'>): string {
  const who = paragraph.speaker !== undefined ? `**${speakerName(paragraph.speaker)}:** ` : '';
  return `[${formatMarker(paragraph.startSec)}] ${who}${paragraph.text}`;
}

/** Paragraphs separated by a blank line, with a trailing newline; "" for an empty transcript. */
export function renderTxt(doc: OutputDocument): string {
  const paragraphs = paragraphsOf(doc.transcript);
  if (paragraphs.length === 0) return '';
  return `${paragraphs.map((p) => (p.speaker !== undefined ? `${speakerName(p.speaker)}: ${p.text}` : p.text)).join('\n\n')}\n`;
}

/** The source's file name without directories or extension (`/a/b/talk.final.mp3` → `talk.final`). */
export function sourceTitle(source: string): string {
  const base = source.split(/[\\/]/).filter((part) => part !== '').pop() ?? '';
  const dot = base.lastIndexOf('.');
  const title = dot > 0 ? base.slice(0, dot) : base;
  return title === '' ? 'Transcript' : title;
}

export function renderMd(doc: OutputDocument): string {
  const { transcript, job } = doc;
  const meta = [
    `Duration: ${formatDuration(transcript.durationSec)}`,
    `Language: ${transcript.language.trim() || 'unknown'}`,
    `Backend: ${job.backend}`,
  ].join(' · ');
  const header = `# ${sourceTitle(job.source)}\n\n${meta}\n`;
  const paragraphs = mdParagraphs(transcript);
  if (paragraphs.length === 0) return header;
  const body = paragraphs.map(mdParagraphLine).join('\n\n');
  return `${header}\n${body}\n`;
}
