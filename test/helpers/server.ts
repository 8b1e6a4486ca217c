/**
 * Starts the built `parascribe serve` as a child process on a free port with an isolated data dir,
 * as an operator would run it; `kill9()` is a real SIGKILL; a restart is a new startServer on the
 * same dataDir.
 */
import { startCliProcess, tempDir, type RunningProcess } from './cli.js';

export interface RunningServer extends RunningProcess {
  url: string;
  dataDir: string;
}

export interface ServerOptions {
  dataDir?: string;
  env?: Record<string, string>;
  args?: string[];
  /** Max wait for "listening on". */
  startTimeoutMs?: number;
}

export const TEST_KEYS = ['test-key-alice-0000000001', 'test-key-bob-00000000000002', 'test-key-carol-000000000003', 'test-key-dave-0000000000004', 'test-key-erin-0000000000005'];

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const dataDir = options.dataDir ?? tempDir('serve');
  const env = { PARASCRIBE_DATA_DIR: dataDir, PARASCRIBE_API_KEYS: TEST_KEYS.join(','), PARASCRIBE_CONFIG: '', ...options.env };
  const process = await startCliProcess(['serve', '--port', '0', ...(options.args ?? [])], env, /listening on (\S+)/, options.startTimeoutMs ?? 20_000);
  return {
    ...process,
    url: process.ready[1]!,
    dataDir,
  };
}

export function authHeaders(key: string = TEST_KEYS[0]!): Record<string, string> {
  return { Authorization: `Bearer ${key}` };
}

/** Polls GET /v1/jobs/:id until its status is final; returns the job JSON. */
export async function waitForJob(url: string, id: string, key: string = TEST_KEYS[0]!, timeoutMs = 120_000, pollMs = 250): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${url}/v1/jobs/${id}`, { headers: authHeaders(key) });
    const job = (await response.json()) as Record<string, any>;
    if (['completed', 'failed', 'cancelled', 'interrupted'].includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Submits a file as a multipart upload; returns the response status and JSON. */
export async function submitFile(url: string, path: string, fields: Record<string, string> = {}, key: string = TEST_KEYS[0]!, filename = 'audio.wav') {
  const { readFile } = await import('node:fs/promises');
  const form = new FormData();
  form.set('file', new Blob([await readFile(path)]), filename);
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  const response = await fetch(`${url}/v1/jobs`, { method: 'POST', body: form, headers: authHeaders(key) });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** A job's files once its end-of-job step has run (the upload goes just after the row says completed). */
export async function jobFilesAfterEnd(dataDir: string, id: string, timeoutMs = 10_000): Promise<string[]> {
  const { readdirSync } = await import('node:fs');
  const { join } = await import('node:path');
  const deadline = Date.now() + timeoutMs;
  let files = readdirSync(join(dataDir, 'jobs', id));
  while (files.includes('input') && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    files = readdirSync(join(dataDir, 'jobs', id));
  }
  return files;
}
