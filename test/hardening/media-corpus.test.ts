/**
 * Issue 22, part 1 / acceptance 1: the bad-media corpus (lib/media-corpus.ts, generated with ffmpeg
 * and sox) through every entry point: the CLI, the upload API, the OpenAI-compatible door, URL ingest
 * (a file host in this test) and MCP's transcribe tool (the corpus dir is its root). Each case must get
 * its documented outcome, and never a crash (an exit code or status outside the code table), a stack
 * trace (stdout, stderr, body, the server's log), a hung job (every wait is bounded) or a partial
 * output (no stray file beside a CLI input, no transcript in a failed job's directory, no job left
 * after a refused request). PARASCRIBE_WRITE_CORPUS_TABLE=1 writes the outcome table into docs/limits.md.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, extname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ERROR_CODES, type ErrorCode } from '../../src/errors.js';
import { statusForCode } from '../../src/server/http-errors.js';
import { FIXTURES, ROOT, tempDir } from '../helpers/cli.js';
import { authHeaders, startServer, TEST_KEYS, type RunningServer } from '../helpers/server.js';
import { buildCorpus, type CorpusCase } from './lib/media-corpus.js';
import { OutcomeTable, runCliBounded, stackIn, type EntryPoint, type Outcome } from './lib/outcomes.js';

const JOB_WAIT_MS = 120_000;
const TERMINAL = ['completed', 'failed', 'cancelled', 'interrupted'];

/** What a run ended with: an error code, or a transcript (its text). */
type Got = { code: string; message?: string } | { transcript: string };

/** The documented outcome against what happened; a code outside our table is a crash. */
function judge(c: CorpusCase, got: Got): string[] {
  const problems: string[] = [];
  if ('code' in got) {
    if (!(got.code in ERROR_CODES) || got.code === 'INTERNAL') problems.push(`crash: ${got.code} ${got.message ?? ''}`);
    if (!('code' in c.expect) || c.expect.code !== got.code) problems.push(`expected ${JSON.stringify(c.expect)}, got ${got.code}: ${got.message ?? ''}`);
  } else if ('code' in c.expect) {
    problems.push(`expected ${c.expect.code}, got a transcript`);
  } else if (c.expect.transcript === 'empty' ? got.transcript.trim() !== '' : got.transcript.trim() === '') {
    problems.push(`expected ${c.expect.transcript} transcript, got ${JSON.stringify(got.transcript.slice(0, 80))}`);
  }
  return problems;
}

const label = (got: Got, prefix: string): string => ('code' in got ? `${prefix} ${got.code}` : `${prefix} ${got.transcript.trim() ? 'transcript' : 'empty'}`);

describe('media corpus × every entry point', { timeout: 1_200_000 }, () => {
  const dir = tempDir('corpus');
  const corpusDir = join(dir, 'corpus');
  mkdirSync(corpusDir);
  const cases = buildCorpus(corpusDir, join(FIXTURES, 'jfk.wav'));
  const table = new OutcomeTable(cases);
  let server: RunningServer;
  let host: Server;
  let hostUrl: string;
  let mcp: Client;

  before(async () => {
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ cache: false, serve: { url: { allow: ['localhost'] } }, mcp: { roots: [corpusDir] } }));
    server = await startServer({ env: { PARASCRIBE_CONFIG: config } });
    // A file host: /<n> serves case n under its client name (RFC 6266 filename*).
    host = createServer((req, res) => {
      const c = cases[Number(req.url!.slice(1))];
      if (!c) return void res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(c.clientName)}` });
      res.end(readFileSync(c.file));
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    hostUrl = `http://localhost:${(host.address() as AddressInfo).port}`;
    mcp = new Client({ name: 'corpus-test', version: '1.0.0' });
    await mcp.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: authHeaders() } }) as Transport);
  });

  after(async () => {
    await mcp?.close();
    host?.close();
    const log = server?.stderr() ?? '';
    await server?.stop();
    if (process.env.PARASCRIBE_WRITE_CORPUS_TABLE === '1') table.writeInto(join(ROOT, 'docs', 'limits.md'));
    assert.equal(stackIn(log), false, `a stack trace in the server's log: ${log.slice(0, 2000)}`);
  });

  const jobDirs = (): string[] => (existsSync(join(server.dataDir, 'jobs')) ? readdirSync(join(server.dataDir, 'jobs')) : []);

  /** A job the server accepted, followed to its end (bounded), and checked for a partial transcript. */
  async function followJob(id: string): Promise<{ got: Got; problems: string[] }> {
    const deadline = Date.now() + JOB_WAIT_MS;
    for (;;) {
      const response = await fetch(`${server.url}/v1/jobs/${id}`, { headers: authHeaders() });
      const text = await response.text();
      const job = JSON.parse(text) as { status: string; error?: { code: string; message: string } };
      const problems = stackIn(text) ? [`stack trace in the job view: ${text}`] : [];
      if (job.status === 'completed') {
        const transcript = await (await fetch(`${server.url}/v1/jobs/${id}/transcript?format=txt`, { headers: authHeaders() })).text();
        return { got: { transcript }, problems };
      }
      if (TERMINAL.includes(job.status)) {
        if (existsSync(join(server.dataDir, 'jobs', id, 'transcript.json'))) problems.push(`a transcript file beside a ${job.status} job`);
        return { got: job.error ? { code: job.error.code, message: job.error.message } : { code: `(${job.status}, no error)` }, problems };
      }
      if (Date.now() > deadline) {
        await fetch(`${server.url}/v1/jobs/${id}`, { method: 'DELETE', headers: authHeaders() });
        return { got: { code: 'HUNG' }, problems: [`hung: still ${job.status} after ${JOB_WAIT_MS} ms`] };
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** A `POST /v1/jobs` answer: 202 and the job's end, or a refusal with the status the code implies and no job left. */
  async function jobAnswer(response: Response, before: string[]): Promise<{ outcome: Outcome; got: Got }> {
    const text = await response.text();
    const problems = stackIn(text) ? [`stack trace in the body: ${text}`] : [];
    if (text.includes(server.dataDir) || text.includes(corpusDir)) problems.push(`a server path in the body: ${text}`);
    const body = JSON.parse(text) as { id?: string; error?: { code: ErrorCode; message: string } };
    if (response.status === 202 && body.id) {
      const { got, problems: more } = await followJob(body.id);
      return { outcome: { label: label(got, '202 →'), problems: [...problems, ...more] }, got };
    }
    const got: Got = { code: body.error?.code ?? `(${response.status})`, message: body.error?.message ?? '' };
    if (body.error && statusForCode(body.error.code) !== response.status) problems.push(`status ${response.status} for ${body.error.code}`);
    const left = jobDirs().filter((id) => !before.includes(id));
    if (left.length > 0) problems.push(`a refused request left job directories: ${left.join(', ')}`);
    return { outcome: { label: label(got, String(response.status)), problems }, got };
  }

  const record = (c: CorpusCase, entry: EntryPoint, outcome: Outcome, got?: Got) => table.record(c, entry, { ...outcome, problems: [...outcome.problems, ...(got ? judge(c, got) : [])] });
  const finish = (entry: EntryPoint) => {
    assert.equal(table.count(entry), cases.length);
    assert.deepEqual(table.problems(entry), []);
  };

  it('CLI transcribe: the exit code of the documented code; the output beside the input only on success', async () => {
    const env = { PARASCRIBE_DATA_DIR: join(dir, 'cli-data'), XDG_CONFIG_HOME: join(dir, 'xdg'), PARASCRIBE_CONFIG: '', PARASCRIBE_CACHE: '0' };
    for (const c of cases) {
      const files = readdirSync(corpusDir);
      const output = join(corpusDir, `${basename(c.file, extname(c.file))}.txt`);
      // No -o: the default output name beside the input is part of what a hostile name tests.
      const run = await runCliBounded(['transcribe', basename(c.file), '-q'], env, JOB_WAIT_MS, dirname(c.file));
      const problems: string[] = [];
      if (run.timedOut) problems.push('hung: killed after the deadline');
      if (stackIn(run.stdout + run.stderr)) problems.push(`stack trace: ${run.stderr}`);
      const added = readdirSync(corpusDir).filter((f) => !files.includes(f));
      let got: Got;
      if (run.code === 0) {
        got = { transcript: existsSync(output) ? readFileSync(output, 'utf8') : '' };
        if (!existsSync(output)) problems.push('exit 0 without an output file');
        if (added.some((f) => join(corpusDir, f) !== output)) problems.push(`stray files: ${added.join(', ')}`);
      } else {
        const code = /^parascribe: error\[(\w+)\]: /m.exec(run.stderr)?.[1] ?? `(exit ${run.code ?? run.signal})`;
        got = { code, message: run.stderr.trim() };
        if (code in ERROR_CODES && ERROR_CODES[code as ErrorCode].exitCode !== run.code) problems.push(`exit ${run.code} for ${code}`);
        if (added.length > 0) problems.push(`partial output: ${added.join(', ')}`);
      }
      if (added.includes(basename(output))) rmSync(output);
      record(c, 'CLI transcribe', { label: label(got, `exit ${run.code}`), problems }, got);
    }
    finish('CLI transcribe');
  });

  it('POST /v1/jobs (multipart upload under the client name)', async () => {
    for (const c of cases) {
      const before = jobDirs();
      const form = new FormData();
      form.set('file', new Blob([readFileSync(c.file)]), c.clientName);
      const response = await fetch(`${server.url}/v1/jobs`, { method: 'POST', body: form, headers: authHeaders(), signal: AbortSignal.timeout(JOB_WAIT_MS) });
      const { outcome, got } = await jobAnswer(response, before);
      record(c, 'POST /v1/jobs (upload)', outcome, got);
    }
    finish('POST /v1/jobs (upload)');
  });

  it('POST /v1/audio/transcriptions (OpenAI door, synchronous)', async () => {
    for (const c of cases) {
      const before = jobDirs();
      const form = new FormData();
      form.set('file', new Blob([readFileSync(c.file)]), c.clientName);
      form.set('model', 'whisper-1');
      const response = await fetch(`${server.url}/v1/audio/transcriptions`, { method: 'POST', body: form, headers: authHeaders(), signal: AbortSignal.timeout(JOB_WAIT_MS) });
      const text = await response.text();
      const problems = stackIn(text) ? [`stack trace: ${text}`] : [];
      const body = JSON.parse(text) as { text?: string; error?: { code: ErrorCode; message: string } };
      let got: Got;
      if (response.status === 200 && typeof body.text === 'string') got = { transcript: body.text };
      else {
        got = { code: body.error?.code ?? `(${response.status})`, message: body.error?.message ?? text };
        if (body.error && statusForCode(body.error.code) !== response.status) problems.push(`status ${response.status} for ${body.error.code}`);
        // A job that ran and failed stays on record (as a failed job, without a transcript); a refusal leaves none.
        for (const id of jobDirs().filter((d) => !before.includes(d))) if (existsSync(join(server.dataDir, 'jobs', id, 'transcript.json'))) problems.push('a transcript beside a failed job');
      }
      record(c, '/v1/audio/transcriptions', { label: label(got, String(response.status)), problems }, got);
    }
    finish('/v1/audio/transcriptions');
  });

  it('POST /v1/jobs {url} (URL ingest from a file host)', async () => {
    for (const [index, c] of cases.entries()) {
      const before = jobDirs();
      const response = await fetch(`${server.url}/v1/jobs`, {
        method: 'POST',
        headers: { ...authHeaders(), 'Content-Type': 'application/json' },
        body: JSON.stringify({ url: `${hostUrl}/${index}` }),
        signal: AbortSignal.timeout(JOB_WAIT_MS),
      });
      const { outcome, got } = await jobAnswer(response, before);
      record(c, 'POST /v1/jobs {url}', outcome, got);
    }
    finish('POST /v1/jobs {url}');
  });

  it('MCP transcribe (path inside mcp.roots, wait=true)', async () => {
    for (const c of cases) {
      const result = (await mcp.callTool({ name: 'transcribe', arguments: { path: c.file, wait: true, wait_timeout_sec: JOB_WAIT_MS / 1000 } }, undefined, { timeout: JOB_WAIT_MS + 10_000 })) as {
        isError?: boolean;
        content: Array<{ text?: string }>;
        structuredContent?: { id?: string; status?: string; error?: { code: string; message: string } };
      };
      const text = result.content.map((p) => p.text ?? '').join('\n');
      const problems = stackIn(text) ? [`stack trace: ${text}`] : [];
      const s = result.structuredContent ?? {};
      let got: Got;
      let prefix = 'error';
      if (s.status === 'completed' && s.id) {
        prefix = 'completed,';
        got = { transcript: await (await fetch(`${server.url}/v1/jobs/${s.id}/transcript?format=txt`, { headers: authHeaders() })).text() };
      } else if (s.status && s.id) {
        prefix = `${s.status}`;
        got = s.error ? { code: s.error.code, message: s.error.message } : { code: `(${s.status}, no error)` };
        if (!TERMINAL.includes(s.status)) problems.push(`hung: still ${s.status}`);
        if (existsSync(join(server.dataDir, 'jobs', s.id, 'transcript.json'))) problems.push('a transcript beside a failed job');
        if (result.isError !== true) problems.push('a failed job without isError');
      } else {
        got = { code: s.error?.code ?? '(no code)', message: text };
        if (result.isError !== true) problems.push('an error without isError');
      }
      record(c, 'MCP transcribe', { label: label(got, prefix), problems }, got);
    }
    finish('MCP transcribe');
  });

  it('the owner sees only finished jobs: none is left queued or running', async () => {
    const list = (await (await fetch(`${server.url}/v1/jobs?limit=100`, { headers: authHeaders(TEST_KEYS[0]) })).json()) as { data: Array<{ status: string }> };
    assert.deepEqual(list.data.filter((j) => !TERMINAL.includes(j.status)), []);
  });
});
