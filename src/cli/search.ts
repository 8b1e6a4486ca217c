/** `parascribe search <query>`: every stored transcript (all of this store's jobs), ranked segments with a snippet. */
import type { Config } from '../config/schema.js';
import { openRuntime } from '../runtime.js';
import { searchHitView } from '../service/views.js';
import { table } from './render.js';

/** hh:mm:ss, hours always shown (a search lists times across recordings of any length). */
export function clock(totalSec: number): string {
  const sec = Math.max(0, Math.floor(totalSec));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(sec / 3600))}:${pad(Math.floor((sec % 3600) / 60))}:${pad(sec % 60)}`;
}

export async function searchCommand(config: Config, query: string, options: { limit: number; offset: number; json: boolean }, stdout: NodeJS.WritableStream): Promise<number> {
  const runtime = await openRuntime(config);
  try {
    const page = await runtime.store.search.search(query, { limit: options.limit, offset: options.offset });
    if (options.json) {
      stdout.write(`${JSON.stringify({ query, data: page.hits.map(searchHitView), has_more: page.hasMore, next_offset: page.hasMore ? options.offset + options.limit : null })}\n`);
      return 0;
    }
    if (page.hits.length === 0) {
      stdout.write(options.offset > 0 ? 'no more matches\n' : 'no matches\n');
      return 0;
    }
    const rows = page.hits.map((hit) => [hit.jobId, hit.source, `${clock(hit.startSec)}-${clock(hit.endSec)}`, hit.snippet]);
    stdout.write(`${table(['job', 'file', 'time', 'snippet'], rows)}\n`);
    if (page.hasMore) stdout.write(`… more: --offset ${options.offset + options.limit}\n`);
    return 0;
  } finally {
    await runtime.close();
  }
}
