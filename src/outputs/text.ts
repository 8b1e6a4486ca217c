/** Plain-text formats: `txt` (paragraphs only) and `md` (titled, timestamped, for pasting into an LLM). */
import type { Transcript } from '../transcript.js';
import type { OutputDocument } from './document.js';
import { groupParagraphs, PARAGRAPH_GAP_SEC, type Paragraph } from './paragraphs.js';
import { formatDuration, formatMarker } from './time.js';

/** Markdown paragraphs are also cut at least this often so the time markers stay useful for navigation. */
export const MD_PARAGRAPH_MAX_SPAN_SEC = 60;

/** Falls back to the flat text when a backend produced text but no utterances. */
function paragraphsOf(transcript: Transcript, maxSpanSec?: number): Paragraph[] {
  const paragraphs = groupParagraphs(transcript.utterances, { minGapSec: PARAGRAPH_GAP_SEC, maxSpanSec });
  if (paragraphs.length > 0) return paragraphs;
  const text = transcript.text.trim();
  return text === '' ? [] : [{ startSec: 0, text }];
}

/** Paragraphs separated by a blank line, with a trailing newline; "" for an empty transcript. */
export function renderTxt(doc: OutputDocument): string {
  const paragraphs = paragraphsOf(doc.transcript);
  if (paragraphs.length === 0) return '';
  return `${paragraphs.map((p) => p.text).join('\n\n')}\n`;
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
  const paragraphs = paragraphsOf(transcript, MD_PARAGRAPH_MAX_SPAN_SEC);
  if (paragraphs.length === 0) return header;
  const body = paragraphs.map((p) => `[${formatMarker(p.startSec)}] ${p.text}`).join('\n\n');
  return `${header}\n${body}\n`;
}
