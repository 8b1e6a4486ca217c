/**
 * Runs N generated requests (seeded) against the target in-process, one at a time, and checks every
 * invariant after each. Requests are drawn from fast-check in batches (`fc.sample` with a seed per
 * batch), so the run is reproducible from (seed, count) and never holds more than a batch.
 * Shared by test/hardening/fuzz.test.ts (CI) and bench/fuzz.ts (the long run by hand).
 */
import fc from 'fast-check';
import { checkAnswer, checkResources, openFileCount, orphanDirs, type Observed, type ResourceBounds } from './fuzz-invariants.js';
import { documentedOperations, materialize, requestArb, type FuzzRequest } from './fuzz-requests.js';
import { KEY_A, type FuzzTarget } from './fuzz-target.js';

export interface FuzzReport {
  seed: number;
  requests: number;
  byStatus: Record<string, number>;
  /** Every violation, with the request that caused it (capped at 50 kept). */
  violations: Array<{ n: number; problem: string; request: string }>;
  violationCount: number;
  wallMs: number;
  peakRssMb: number;
  peakFds: number;
  startRssMb: number;
  startFds: number;
  jobsCreated: number;
}

const BATCH = 200;
/** How long an SSE answer is read before the client hangs up (a running job streams until it ends). */
const STREAM_READ_MS = 300;
const TEXT_LIMIT = 1024 * 1024;

async function readText(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const streaming = (response.headers.get('content-type') ?? '').includes('event-stream');
  const deadline = streaming ? setTimeout(() => void reader.cancel().catch(() => undefined), STREAM_READ_MS) : undefined;
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (text.length > TEXT_LIMIT) {
        await reader.cancel();
        break;
      }
    }
  } catch {
    // cancelled by the deadline
  } finally {
    clearTimeout(deadline);
  }
  return text;
}

export interface FuzzRunOptions {
  seed: number;
  count: number;
  /** RSS may grow this much over the start (default 300 MB); open files this many (default 64). */
  rssSlackMb?: number;
  fdSlack?: number;
  onProgress?: (done: number, report: FuzzReport) => void;
}

export async function runFuzz(target: FuzzTarget, options: FuzzRunOptions): Promise<FuzzReport> {
  const operations = documentedOperations();
  const arb = requestArb(operations);
  const startRss = process.memoryUsage.rss();
  const startFds = openFileCount();
  const bounds: ResourceBounds = { rssBytes: startRss + (options.rssSlackMb ?? 300) * 2 ** 20, fds: startFds + (options.fdSlack ?? 64) };
  const report: FuzzReport = {
    seed: options.seed,
    requests: 0,
    byStatus: {},
    violations: [],
    violationCount: 0,
    wallMs: 0,
    peakRssMb: startRss / 2 ** 20,
    peakFds: startFds,
    startRssMb: Math.round(startRss / 2 ** 20),
    startFds,
    jobsCreated: 0,
  };
  const known = new Set<string>();
  const started = performance.now();
  const violate = (n: number, problem: string, request: FuzzRequest) => {
    report.violationCount++;
    if (report.violations.length < 50) report.violations.push({ n, problem, request: JSON.stringify(request).slice(0, 400) });
  };
  for (let batch = 0; report.requests < options.count; batch++) {
    const size = Math.min(BATCH, options.count - report.requests);
    const requests = fc.sample(arb, { seed: options.seed * 1_000_003 + batch, numRuns: size });
    for (const request of requests) {
      const n = report.requests++;
      const made = materialize(request, { own: target.ownJobIds, foreign: target.foreign[0]!, keyA: KEY_A, wav: target.wav });
      const headers = new Headers();
      for (const [name, value] of made.headers) headers.append(name, value);
      let seen: Observed;
      try {
        const init: RequestInit = { method: made.method, headers };
        if (made.body && !['GET', 'HEAD'].includes(made.method)) init.body = made.body as Uint8Array<ArrayBuffer>;
        const response = await target.http.app.request(`http://127.0.0.1${made.path}`, init);
        const text = await readText(response);
        seen = { askedForeign: made.path.includes(target.foreign[0]!) || (made.body !== null && Buffer.from(made.body).includes(target.foreign[0]!)), method: made.method, path: made.path, status: response.status, contentType: response.headers.get('content-type') ?? '', text };
      } catch (error) {
        // The app itself threw instead of answering: as bad as a 500.
        violate(n, `${made.method} ${made.path}: the app threw ${(error as Error).stack ?? String(error)}`, request);
        continue;
      }
      report.byStatus[seen.status] = (report.byStatus[seen.status] ?? 0) + 1;
      if (made.method === 'POST' && seen.status === 202 && (made.path === '/v1/jobs' || made.path.startsWith('/v1/jobs?'))) {
        const id = (JSON.parse(seen.text) as { id?: string }).id;
        if (id) {
          target.ownJobIds.push(id);
          report.jobsCreated++;
        }
      }
      for (const problem of checkAnswer(seen, target.foreign, target.dataDir)) violate(n, problem, request);
      for (const problem of checkResources(bounds)) violate(n, problem, request);
      for (const orphan of await orphanDirs(target.dataDir, target.runtime.store, known)) violate(n, `a job directory no job owns: ${orphan}`, request);
      report.peakRssMb = Math.max(report.peakRssMb, process.memoryUsage.rss() / 2 ** 20);
      report.peakFds = Math.max(report.peakFds, openFileCount());
    }
    options.onProgress?.(report.requests, report);
  }
  report.wallMs = Math.round(performance.now() - started);
  report.peakRssMb = Math.round(report.peakRssMb);
  return report;
}
