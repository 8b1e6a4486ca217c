/**
 * The prompts. Kept short and explicit about the two things checked afterwards: cite with the
 * transcript's own markers, and only from what is given. Each builder takes the transcript text last,
 * so `fixedTokens` can price the rest before the transcript is chosen.
 */
import type { ChatMessage } from '../llm/client.js';
import { estimatePromptTokens } from '../llm/tokens.js';

const SYSTEM = [
  'You answer questions about a recording from its transcript.',
  'Each paragraph of the transcript starts with the time it was spoken, like [00:12:34].',
  'Support every statement with the time of the paragraph it comes from, written exactly like [00:12:34].',
  'Use only the transcript given; if it does not contain the answer, say so plainly.',
].join(' ');

export interface ContextNotes {
  /** "covers 0:00–23:10 of 60:00 (still transcribing)" for a partial transcript. */
  coverage?: string | null;
  /** The context is a selection of passages, not the whole transcript. */
  retrieved?: boolean;
}

function notesText(notes: ContextNotes): string {
  const lines: string[] = [];
  if (notes.coverage) lines.push(`The transcript is partial: it ${notes.coverage}. Say so if the answer may lie in the rest.`);
  if (notes.retrieved) lines.push('Only the passages most relevant to the question are included, in time order; the rest of the recording is left out.');
  return lines.length ? `${lines.join('\n')}\n\n` : '';
}

export function answerMessages(question: string, transcript: string, notes: ContextNotes = {}): ChatMessage[] {
  return [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: `${notesText(notes)}Transcript:\n\n${transcript}\n\nQuestion: ${question}` },
  ];
}

export function mapMessages(question: string, transcript: string, part: number, parts: number, notes: ContextNotes = {}): ChatMessage[] {
  return [
    { role: 'system', content: SYSTEM },
    {
      role: 'user',
      content: `${notesText(notes)}This is part ${part} of ${parts} of the transcript. Write short notes of everything in it that helps answer the question, each with its time like [00:12:34]. If nothing in it does, answer "nothing relevant".\n\nTranscript part ${part}:\n\n${transcript}\n\nQuestion: ${question}`,
    },
  ];
}

export function reduceMessages(question: string, partNotes: string, notes: ContextNotes = {}): ChatMessage[] {
  return [
    { role: 'system', content: SYSTEM },
    {
      role: 'user',
      content: `${notesText(notes)}The transcript was read in parts; these are the notes taken from each part, with the times they cite. Answer from them, citing those times.\n\n${partNotes}\n\nQuestion: ${question}`,
    },
  ];
}

/** Tokens of a prompt without its transcript: what is left of the window is for the transcript. */
export function fixedTokens(build: (transcript: string) => ChatMessage[]): number {
  return estimatePromptTokens(build(''));
}
