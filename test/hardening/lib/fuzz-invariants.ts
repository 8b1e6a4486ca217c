/**
 * What must hold after every fuzz request, whatever it was:
 * - no 500 (and no other 5xx, except the documented server-side ones: 501 LLM_NOT_CONFIGURED and
 *   502 URL_FETCH_FAILED for a URL that does not resolve);
 * - every 4xx/5xx carries our JSON error body `{ error: { code, message } }` (a HEAD has no body);
 * - nothing of the other tenant (job id, owner id, file name, key) and no server path in the answer;
 *   asked for the other tenant's job by id, the answer is the one an unknown id gets (no 2xx);
 * - the server's RSS and open file count stay within bounds of where they started;
 * - every directory under <dataDir>/jobs belongs to a job row (no file that no job owns).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { JobStore } from '../../../src/store/jobs.js';

export interface Observed {
  /** The request named the other tenant's job (its id in the answer is then the client's own echo). */
  askedForeign: boolean;
  method: string;
  path: string;
  status: number;
  contentType: string;
  text: string;
}

const ALLOWED_5XX: Record<number, string[]> = { 501: ['LLM_NOT_CONFIGURED'], 502: ['URL_FETCH_FAILED'] };

/** Violations of the answer-level invariants (empty: fine). */
export function checkAnswer(seen: Observed, forbidden: readonly string[], dataDir: string): string[] {
  const problems: string[] = [];
  const where = `${seen.method} ${seen.path.slice(0, 200)} → ${seen.status}`;
  let code: string | undefined;
  if (seen.status >= 400 && seen.method !== 'HEAD') {
    let body: any;
    try {
      body = JSON.parse(seen.text);
    } catch {
      body = undefined;
    }
    const ours = body && typeof body.error?.code === 'string' && typeof body.error?.message === 'string';
    // /mcp speaks JSON-RPC (documented): its transport's refusals are JSON-RPC error objects.
    const jsonRpc = seen.path.startsWith('/mcp') && body?.jsonrpc === '2.0' && typeof body.error?.code === 'number' && typeof body.error?.message === 'string';
    if (jsonRpc) code = 'JSON-RPC';
    else
    if (!ours) problems.push(`${where}: not our JSON error body: ${seen.contentType} ${seen.text.slice(0, 200)}`);
    else if (!seen.contentType.startsWith('application/json')) problems.push(`${where}: error body with Content-Type ${seen.contentType}`);
    code ??= body?.error?.code;
  }
  if (seen.askedForeign && seen.status < 300 && !seen.path.startsWith('/mcp')) problems.push(`${where}: the other tenant's job answered ${seen.status}, not as unknown`);
  if (seen.status >= 500 && !(ALLOWED_5XX[seen.status] ?? []).includes(code ?? '')) problems.push(`${where}: server error ${code ?? ''} ${seen.text.slice(0, 300)}`);
  // The job id the client itself sent may come back in a "not found"; anything else of the other tenant may not.
  const checked = seen.askedForeign ? forbidden.slice(1) : forbidden;
  for (const secret of checked) if (seen.text.includes(secret)) problems.push(`${where}: the other tenant's "${secret}" in the answer`);
  if (seen.text.includes(dataDir)) problems.push(`${where}: the data dir in the answer`);
  if (/\bat [\w.<>]+ \(.*:\d+:\d+\)/.test(seen.text)) problems.push(`${where}: a stack trace in the answer`);
  return problems;
}

export function openFileCount(): number {
  return readdirSync('/proc/self/fd').length;
}

export interface ResourceBounds {
  rssBytes: number;
  fds: number;
}

export function checkResources(bounds: ResourceBounds): string[] {
  const rss = process.memoryUsage.rss();
  const fds = openFileCount();
  const problems: string[] = [];
  if (rss > bounds.rssBytes) problems.push(`RSS ${Math.round(rss / 2 ** 20)} MB over the bound of ${Math.round(bounds.rssBytes / 2 ** 20)} MB`);
  if (fds > bounds.fds) problems.push(`${fds} open files over the bound of ${bounds.fds}`);
  return problems;
}

/** Job directories with no job row; `known` caches ids already seen to have one. */
export async function orphanDirs(dataDir: string, store: JobStore, known: Set<string>): Promise<string[]> {
  let names: string[];
  try {
    names = readdirSync(join(dataDir, 'jobs'));
  } catch {
    return [];
  }
  const orphans: string[] = [];
  for (const name of names) {
    if (known.has(name)) continue;
    if (await store.getJob(name)) known.add(name);
    else orphans.push(name);
  }
  return orphans;
}
