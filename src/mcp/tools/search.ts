/** `search_transcripts`: the caller's transcripts searched (their own jobs only), ranked, with snippets and times. */
import { z } from 'zod';
import { searchHitView } from '../../service/views.js';
import { defineTool, jsonResult } from '../tool.js';

export const SEARCH_MAX_LIMIT = 100;
export const SEARCH_MAX_OFFSET = 10_000;

export const searchTool = defineTool({
  name: 'search_transcripts',
  title: 'Search transcripts',
  description:
    'Full-text search over every transcript of your jobs (running ones included): words (all must occur) and "quoted phrases". Hits are segments, best first, with job id, file, start/end seconds and a snippet with the match in «».',
  input: z.strictObject({
    query: z.string().min(1).max(500).describe('Words and "quoted phrases".'),
    limit: z.number().int().min(1).max(SEARCH_MAX_LIMIT).default(10),
    offset: z.number().int().min(0).max(SEARCH_MAX_OFFSET).default(0).describe('Hits to skip: the next_offset of the previous page.'),
  }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(args, ctx) {
    const page = await ctx.service.search(ctx.owner, args.query, { limit: args.limit, offset: args.offset });
    const result = {
      query: args.query,
      data: page.hits.map(searchHitView),
      has_more: page.hasMore,
      next_offset: page.hasMore ? args.offset + args.limit : null,
    };
    return jsonResult(result, page.hits.length === 0 ? `No transcript matches ${JSON.stringify(args.query)}.` : `${page.hits.length} hit(s)${page.hasMore ? `; more with offset=${result.next_offset}` : ''}.`);
  },
});
