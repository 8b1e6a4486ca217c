/**
 * `get_transcript`: a completed job's transcript in an output format, optionally only a time range of
 * it, one page at a time (a long recording is more text than a model's context should take at once).
 */
import { z } from 'zod';
import { ParascribeError } from '../../errors.js';
import { OUTPUT_FORMATS } from '../../outputs/formats.js';
import { defineTool } from '../tool.js';
import { pageOf, sliceDocument } from '../transcript-page.js';
import { jobIdInput } from './get-job.js';

export const TRANSCRIPT_FORMATS = ['txt', 'md', 'srt', 'vtt', 'json'] as const;

const input = z
  .strictObject({
    job_id: jobIdInput,
    format: z
      .enum(TRANSCRIPT_FORMATS)
      .default('md')
      .describe('md: paragraphs under [hh:mm:ss] markers (best to read and cite); txt: plain paragraphs; srt/vtt: subtitles; json: utterances and words with times.'),
    start_sec: z.number().min(0).optional().describe('Only the part of the recording from this second on.'),
    end_sec: z.number().positive().optional().describe('Only the part of the recording before this second.'),
    offset: z.number().int().min(0).default(0).describe('Character offset of the page to return: 0, then the next_offset of the previous page.'),
    max_chars: z.number().int().min(1000).optional().describe('Longest page, in characters (default and upper bound: the server\'s mcp.maxPageChars).'),
  })
  .refine((args) => args.start_sec === undefined || args.end_sec === undefined || args.end_sec > args.start_sec, { message: 'end_sec must be after start_sec', path: ['end_sec'] });

export const getTranscriptTool = defineTool({
  name: 'get_transcript',
  title: 'Read a transcript',
  description:
    "A completed job's transcript (md by default: paragraphs with [hh:mm:ss] markers), optionally only start_sec..end_sec, in pages: when next_offset is not null, call again with offset=next_offset for the rest.",
  input,
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(args, ctx) {
    const { service } = ctx;
    const row = await service.get(ctx.owner, args.job_id);
    if (row.status !== 'completed') {
      throw new ParascribeError('NOT_READY', `job ${row.id} is ${row.status}; its transcript exists once it has completed (transcribe with wait=true, or poll get_job)`);
    }
    const document = sliceDocument(await service.document(row), args.start_sec, args.end_sec);
    const text = OUTPUT_FORMATS[args.format].render(document);
    const maxChars = Math.min(args.max_chars ?? ctx.config.mcp.maxPageChars, ctx.config.mcp.maxPageChars);
    if (args.offset > 0 && args.offset >= text.length) throw new ParascribeError('INVALID_ARGUMENT', `offset ${args.offset} is past the end of the transcript (${text.length} characters)`);
    const page = pageOf(text, args.offset, maxChars);
    const meta = {
      job_id: row.id,
      format: args.format,
      start_sec: args.start_sec ?? null,
      end_sec: args.end_sec ?? null,
      offset: page.offset,
      chars: page.text.length,
      total_chars: page.totalChars,
      next_offset: page.nextOffset,
    };
    const content: Array<{ type: 'text'; text: string }> = [{ type: 'text', text: page.text === '' ? '(nothing was said in this range)' : page.text }];
    if (page.nextOffset !== null) {
      content.push({ type: 'text', text: `[page: characters ${page.offset}–${page.offset + page.text.length} of ${page.totalChars}; call get_transcript with offset=${page.nextOffset} for the next page]` });
    }
    return { content, structuredContent: { ...meta, text: page.text } };
  },
});
