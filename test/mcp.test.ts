/**
 * The MCP server through the official SDK's own client, on both transports:
 *
 *   stdio: `node bin/parascribe.js mcp` spawned by StdioClientTransport (the built CLI, as Claude Desktop
 *          would start it), with a temp data dir, mcp.roots and the FAKE chat server from the environment;
 *   HTTP:  /mcp of the app (createApp, in-process, behind a real socket) with StreamableHTTPClientTransport
 *          and two API keys.
 *
 * On each: the 5 tools listed and called (jfk.wav transcribed by pocketsphinx with wait → get_job →
 * get_transcript → search_transcripts finds a word it heard → ask_transcript answers from the fake
 * chat server), the transcript:// resource, bad inputs as tool errors with our codes, a path outside
 * the roots, a symbolic link out of a root and loopback URLs refused, another owner's job invisible.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { startFakeChatServer, type FakeChatServer } from './fakes/fake-chat-server.js';
import { seedJob } from './helpers/ask-jobs.js';
import { BIN, FIXTURES, ROOT, tempDir } from './helpers/cli.js';
import { configSchema } from '../src/config/schema.js';
import { openRuntime, type Runtime } from '../src/runtime.js';
import { createApp } from '../src/server/app.js';
import { ownerOfKey } from '../src/server/auth/index.js';
import { listen, type Listening } from '../src/server/listen.js';
import { TranscriptionService } from '../src/service/service.js';

const TOOLS = ['ask_transcript', 'get_job', 'get_transcript', 'search_transcripts', 'transcribe'];
const JFK = join(FIXTURES, 'jfk.wav');
const ALICE = 'mcp-test-key-alice-0000000001';
const BOB = 'mcp-test-key-bob-000000000002';

interface ToolResult {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, any>;
}

async function call(client: Client, name: string, args: Record<string, unknown>, options: { onprogress?: (p: { progress: number; total?: number; message?: string }) => void } = {}): Promise<ToolResult> {
  return (await client.callTool({ name, arguments: args }, undefined, { timeout: 240_000, ...options })) as ToolResult;
}

const text = (result: ToolResult): string => result.content.map((c) => c.text ?? '').join('\n');

function assertToolError(result: ToolResult, code: string, pattern?: RegExp): void {
  assert.equal(result.isError, true, `expected error[${code}], got ${text(result).slice(0, 300)}`);
  assert.match(text(result), new RegExp(`^error\\[${code}\\]: `), text(result));
  assert.equal(result.structuredContent?.error?.code, code);
  if (pattern) assert.match(text(result), pattern);
  assert.doesNotMatch(text(result), /\n\s+at |\.ts:\d+|node_modules/, 'no stack');
}

/** A directory of allowed files, a file outside it, and links out of it. */
function makeRoots(base: string): { root: string; outside: string } {
  const root = join(base, 'recordings');
  const outside = join(base, 'elsewhere');
  mkdirSync(root, { recursive: true });
  mkdirSync(outside, { recursive: true });
  copyFileSync(JFK, join(root, 'jfk.wav'));
  copyFileSync(JFK, join(outside, 'private.wav'));
  writeFileSync(join(root, 'notes.txt'), 'not audio at all\n');
  symlinkSync(join(outside, 'private.wav'), join(root, 'link-out.wav'));
  symlinkSync('/etc/passwd', join(root, 'passwd.wav'));
  return { root, outside };
}

/**
 * The whole tool surface on one transport, for one owner: returns what later tests need. Each step
 * asserts what a client would rely on.
 */
async function toolTour(client: Client, root: string): Promise<{ jobId: string; word: string }> {
  const listed = await client.listTools();
  assert.deepEqual(listed.tools.map((t) => t.name).sort(), TOOLS);
  for (const tool of listed.tools) {
    assert.equal(tool.inputSchema.type, 'object', tool.name);
    assert.ok(tool.description && tool.description.length > 40, `${tool.name} has a description`);
  }
  const transcribe = listed.tools.find((t) => t.name === 'transcribe')!;
  assert.ok(transcribe.inputSchema.properties && 'path' in transcribe.inputSchema.properties && 'url' in transcribe.inputSchema.properties);

  // transcribe with wait: the job has ended when the call returns; progress went out, increasing.
  const progress: number[] = [];
  const done = await call(client, 'transcribe', { path: join(root, 'jfk.wav'), wait: true, wait_timeout_sec: 240, language: 'en' }, { onprogress: (p) => progress.push(p.progress) });
  assert.equal(done.isError, undefined, text(done));
  const job = done.structuredContent!;
  assert.equal(job.status, 'completed', text(done));
  assert.equal(job.source_name, 'jfk.wav');
  assert.equal(job.transcript_resource, `transcript://${job.id}`);
  assert.equal(job.links, undefined, 'no HTTP links in MCP views');
  assert.match(text(done), /completed/);
  assert.ok(progress.length >= 1, 'progress notifications');
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i]! > progress[i - 1]!, `progress increases: ${progress.join(',')}`);

  // get_job: status, progress, telemetry.
  const status = await call(client, 'get_job', { job_id: job.id });
  assert.equal(status.structuredContent!.status, 'completed');
  assert.equal(status.structuredContent!.progress.segments_done, status.structuredContent!.progress.segments_total);
  assert.ok(status.structuredContent!.telemetry.wall_sec > 0);
  assert.ok(status.structuredContent!.duration_sec > 10);

  // get_transcript: md by default; txt; a time range of srt; json in pages that concatenate to the whole.
  const md = await call(client, 'get_transcript', { job_id: job.id });
  assert.match(md.content[0]!.text!, /^# jfk\n/);
  assert.match(md.content[0]!.text!, /\[00:00:00\] \S+/);
  assert.equal(md.structuredContent!.next_offset, null);
  const txt = await call(client, 'get_transcript', { job_id: job.id, format: 'txt' });
  const words = txt.content[0]!.text!.toLowerCase().match(/[a-z]+/g) ?? [];
  const word = words.reduce((best, w) => (w.length > best.length ? w : best), '');
  assert.ok(word.length >= 4, `a word to search for in ${JSON.stringify(words)}`);
  const range = await call(client, 'get_transcript', { job_id: job.id, format: 'srt', start_sec: 3, end_sec: 6 });
  const cueStarts = [...range.content[0]!.text!.matchAll(/^(\d\d):(\d\d):(\d\d),(\d{3}) -->/gm)].map((m) => Number(m[3]) + Number(m[4]) / 1000);
  assert.ok(cueStarts.length >= 1, range.content[0]!.text);
  assert.ok(cueStarts.every((sec) => sec < 6), `cues start before end_sec: ${cueStarts}`);
  assert.equal(range.structuredContent!.start_sec, 3);
  const whole = await call(client, 'get_transcript', { job_id: job.id, format: 'json', max_chars: 100_000 });
  let offset: number | null = 0;
  let joined = '';
  let pages = 0;
  while (offset !== null) {
    const page: ToolResult = await call(client, 'get_transcript', { job_id: job.id, format: 'json', offset, max_chars: 1000 });
    assert.ok(page.structuredContent!.chars <= 1000);
    joined += page.structuredContent!.text;
    offset = page.structuredContent!.next_offset;
    if (offset !== null) assert.match(page.content[1]!.text!, new RegExp(`offset=${offset}`));
    pages++;
  }
  assert.ok(pages >= 2, 'the json transcript takes several pages of 1000 characters');
  assert.equal(joined, whole.content[0]!.text);
  assert.equal(JSON.parse(joined).job.id, job.id);

  // search_transcripts: a word it heard finds the job.
  const found = await call(client, 'search_transcripts', { query: word });
  const hits = found.structuredContent!.data as Array<{ job_id: string; snippet: string }>;
  assert.ok(hits.some((h) => h.job_id === job.id && h.snippet.toLowerCase().includes(`«${word}»`)), JSON.stringify(hits));

  // ask_transcript: the fake chat model answers from the context it got, with a checked citation.
  const asked = await call(client, 'ask_transcript', { job_id: job.id, question: 'What does he ask of his fellow Americans?' });
  assert.equal(asked.isError, undefined, text(asked));
  assert.match(asked.content[0]!.text!, /^Seen 1 markers from \[00:00:00\] to \[00:00:00\]/);
  assert.equal(asked.structuredContent!.coverage.complete, true);
  const cited = asked.structuredContent!.citations.map((c: { marker: string }) => c.marker);
  assert.ok(cited.length >= 1 && cited.every((m: string) => m === '[00:00:00]'), JSON.stringify(cited));
  assert.deepEqual(asked.structuredContent!.dropped_citations, []);
  assert.match(asked.content[1]!.text!, /"citations"/);

  // The transcript resource: listed, and read as md.
  const resources = await client.listResources();
  assert.ok(resources.resources.some((r) => r.uri === `transcript://${job.id}` && r.name === 'jfk.wav'));
  const templates = await client.listResourceTemplates();
  assert.deepEqual(templates.resourceTemplates.map((t) => t.uriTemplate), ['transcript://{jobId}']);
  const read = await client.readResource({ uri: `transcript://${job.id}` });
  assert.equal((read.contents[0] as { text?: string }).text, md.content[0]!.text);

  return { jobId: String(job.id), word };
}

/** Refusals every transport gives alike: bad arguments, paths, URLs, unknown jobs. */
async function refusals(client: Client, root: string, outside: string): Promise<void> {
  // Arguments that fail the schema: INVALID_ARGUMENT, naming the field.
  assertToolError(await call(client, 'get_job', {}), 'INVALID_ARGUMENT', /job_id/);
  assertToolError(await call(client, 'get_job', { job_id: 42 }), 'INVALID_ARGUMENT', /job_id/);
  assertToolError(await call(client, 'get_job', { job_id: 'jabc1234', extra: true }), 'INVALID_ARGUMENT', /extra/);
  assertToolError(await call(client, 'transcribe', {}), 'INVALID_ARGUMENT', /exactly one of path and url/);
  assertToolError(await call(client, 'transcribe', { path: join(root, 'jfk.wav'), url: 'https://example.com/a.mp3' }), 'INVALID_ARGUMENT', /exactly one/);
  assertToolError(await call(client, 'transcribe', { path: join(root, 'jfk.wav'), language: 'english!' }), 'INVALID_ARGUMENT', /language/);
  assertToolError(await call(client, 'get_transcript', { job_id: 'jabc1234', format: 'docx' }), 'INVALID_ARGUMENT', /format/);
  assertToolError(await call(client, 'get_transcript', { job_id: 'jabc1234', start_sec: 9, end_sec: 3 }), 'INVALID_ARGUMENT', /end_sec/);
  assertToolError(await call(client, 'search_transcripts', { query: 'x', limit: 1000 }), 'INVALID_ARGUMENT', /limit/);
  assertToolError(await call(client, 'ask_transcript', { job_id: 'jabc1234', question: '' }), 'INVALID_ARGUMENT', /question/);
  await assert.rejects(client.callTool({ name: 'format_disk', arguments: {} }), /not found/);

  // Paths: outside the roots, through a link out of a root, relative, missing, not audio.
  assertToolError(await call(client, 'transcribe', { path: '/etc/passwd' }), 'PATH_REFUSED', /outside the directories/);
  assertToolError(await call(client, 'transcribe', { path: join(outside, 'private.wav') }), 'PATH_REFUSED', /outside the directories/);
  assertToolError(await call(client, 'transcribe', { path: join(root, '..', 'elsewhere', 'private.wav') }), 'PATH_REFUSED', /outside the directories/);
  assertToolError(await call(client, 'transcribe', { path: join(root, 'link-out.wav') }), 'PATH_REFUSED', /symbolic link/);
  assertToolError(await call(client, 'transcribe', { path: join(root, 'passwd.wav') }), 'PATH_REFUSED', /symbolic link/);
  assertToolError(await call(client, 'transcribe', { path: 'recordings/jfk.wav' }), 'INVALID_ARGUMENT', /absolute/);
  assertToolError(await call(client, 'transcribe', { path: join(root, 'missing.wav') }), 'INPUT_NOT_FOUND');
  const notAudio = await call(client, 'transcribe', { path: join(root, 'notes.txt') });
  assertToolError(notAudio, 'NOT_AUDIO', /"notes\.txt"/);
  assert.ok(!text(notAudio).includes(root) && !text(notAudio).includes('/jobs/'), `no server path: ${text(notAudio)}`);

  // URLs: the API's SSRF checks.
  for (const url of ['http://127.0.0.1/audio.wav', 'http://localhost:8080/a.mp3', 'http://[::1]/a.mp3', 'http://169.254.169.254/latest/meta-data', 'file:///etc/passwd']) {
    assertToolError(await call(client, 'transcribe', { url }), 'URL_REFUSED');
  }

  // Unknown and malformed job ids.
  assertToolError(await call(client, 'get_job', { job_id: 'jnosuchjob1' }), 'JOB_NOT_FOUND', /no job jnosuchjob1/);
  assertToolError(await call(client, 'get_job', { job_id: '../../etc/passwd' }), 'JOB_NOT_FOUND');
  await assert.rejects(client.readResource({ uri: 'transcript://jnosuchjob1' }), /-32002.*error\[JOB_NOT_FOUND\]/);
}

/** What another owner sees of `jobId`: nothing. */
async function invisible(client: Client, jobId: string, word: string): Promise<void> {
  assertToolError(await call(client, 'get_job', { job_id: jobId }), 'JOB_NOT_FOUND');
  assertToolError(await call(client, 'get_transcript', { job_id: jobId }), 'JOB_NOT_FOUND');
  assertToolError(await call(client, 'ask_transcript', { job_id: jobId, question: 'what was said?' }), 'JOB_NOT_FOUND');
  const search = await call(client, 'search_transcripts', { query: word });
  assert.deepEqual(search.structuredContent!.data, []);
  const resources = await client.listResources();
  assert.ok(!resources.resources.some((r) => r.uri === `transcript://${jobId}`));
  await assert.rejects(client.readResource({ uri: `transcript://${jobId}` }), /JOB_NOT_FOUND/);
}

describe('MCP over stdio: parascribe mcp', { timeout: 300_000 }, () => {
  let chat: FakeChatServer;
  let base: string;
  let paths: { root: string; outside: string };
  let client: Client;
  let transport: StdioClientTransport;
  const transportErrors: Error[] = [];
  let stderr = '';

  before(async () => {
    chat = await startFakeChatServer();
    base = realpathSync(tempDir('mcp-stdio'));
    paths = makeRoots(base);
    const dataDir = join(base, 'data');
    // Jobs of others in the same store: an API key's service job, and a CLI job (no owner).
    const seeding = await openRuntime(configSchema.parse({ dataDir }));
    await seedJob(seeding.store, { id: 'jkeyowner1', segments: 1, owner: ownerOfKey(ALICE) });
    await seedJob(seeding.store, { id: 'jcliowner1', segments: 1, owner: null });
    await seeding.close();
    transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mcp'],
      cwd: ROOT,
      stderr: 'pipe',
      env: {
        ...(process.env as Record<string, string>),
        PARASCRIBE_DATA_DIR: dataDir,
        PARASCRIBE_CONFIG: '',
        XDG_CONFIG_HOME: join(base, 'config'),
        PARASCRIBE_MCP_ROOTS: paths.root,
        PARASCRIBE_BACKEND: 'pocketsphinx',
        PARASCRIBE_LLM_BASE_URL: chat.url,
        PARASCRIBE_LLM_MODEL: 'fake-chat-1',
      },
    });
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    // Anything on the child's stdout that is not a JSON-RPC message lands here.
    transport.onerror = (error) => transportErrors.push(error);
    client = new Client({ name: 'parascribe-test', version: '1.0.0' });
    await client.connect(transport);
  });

  after(async () => {
    await client?.close();
    await chat?.close();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  let tour: { jobId: string; word: string };

  test('lists the 5 tools and calls each: transcribe (wait) → get_job → get_transcript → search_transcripts → ask_transcript; the transcript resource', async () => {
    assert.equal(client.getServerVersion()?.name, 'parascribe');
    assert.match(client.getInstructions() ?? '', /transcribe/);
    tour = await toolTour(client, paths.root);
  });

  test('bad inputs, paths outside the roots, links out of them and loopback URLs come back as tool errors with our codes', async () => {
    await refusals(client, paths.root, paths.outside);
  });

  test('the local owner sees neither an API key\'s jobs nor CLI jobs in the same store', async () => {
    for (const id of ['jkeyowner1', 'jcliowner1']) assertToolError(await call(client, 'get_job', { job_id: id }), 'JOB_NOT_FOUND');
    const search = await call(client, 'search_transcripts', { query: 'remark' });
    assert.deepEqual(search.structuredContent!.data, [], 'the seeded jobs say "segment 0 remark 0 …"');
    assert.ok(tour.jobId);
  });

  test('stdout carried only MCP; logs went to stderr; closing stdin ends the process at once', async () => {
    assert.deepEqual(transportErrors, []);
    assert.match(stderr, /parascribe mcp: ready on stdio/);
    const pid = transport.pid!;
    const started = performance.now();
    await client.close();
    assert.ok(performance.now() - started < 1_900, 'exited on end of stdin, before the SDK falls back to SIGTERM');
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
    assert.match(stderr, /stopping/);
  });
});

describe('MCP over Streamable HTTP: /mcp behind the API keys', { timeout: 300_000 }, () => {
  let chat: FakeChatServer;
  let base: string;
  let paths: { root: string; outside: string };
  let runtime: Runtime;
  let service: TranscriptionService;
  let server: Listening;
  const clients: Client[] = [];

  const connect = async (key: string): Promise<Client> => {
    const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${key}` } } });
    const client = new Client({ name: 'parascribe-test', version: '1.0.0' });
    await client.connect(transport as Transport);
    clients.push(client);
    return client;
  };

  before(async () => {
    chat = await startFakeChatServer();
    base = realpathSync(tempDir('mcp-http'));
    paths = makeRoots(base);
    const config = configSchema.parse({
      dataDir: join(base, 'data'),
      backend: 'pocketsphinx',
      serve: { apiKeys: [ALICE, BOB] },
      mcp: { roots: [paths.root] },
      llm: { baseURL: chat.url, model: 'fake-chat-1', maxAttempts: 1 },
    });
    runtime = await openRuntime(config, { role: 'server' });
    service = new TranscriptionService({ runtime });
    await service.start();
    server = await listen(createApp(service), { host: '127.0.0.1', port: 0, requestTimeoutSec: 600 });
    service.setPublicUrl(server.url);
  });

  after(async () => {
    for (const client of clients) await client.close().catch(() => undefined);
    await server?.close();
    await service?.stop();
    await runtime?.close();
    await chat?.close();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  let tour: { jobId: string; word: string };

  test('lists the 5 tools and calls each with one key: transcribe (wait, progress over SSE) → get_job → get_transcript → search_transcripts → ask_transcript; the transcript resource', async () => {
    tour = await toolTour(await connect(ALICE), paths.root);
  });

  test('bad inputs, paths outside the roots, links out of them and loopback URLs come back as tool errors with our codes', async () => {
    await refusals(await connect(ALICE), paths.root, paths.outside);
  });

  test('transcribe with a wait shorter than the job: the job as it stands, still running; it ends on its own', async () => {
    const client = await connect(ALICE);
    // Other options than the first run's, so that no cache answers it at once.
    const result = await call(client, 'transcribe', { path: join(paths.root, 'jfk.wav'), wait: true, wait_timeout_sec: 1, segment_sec: 10 });
    assert.equal(result.isError, undefined, text(result));
    assert.ok(['queued', 'running'].includes(result.structuredContent!.status), text(result));
    assert.match(text(result), /^Still (queued|running) after 1 s; the job keeps running\. .*get_job/);
    assert.equal(result.structuredContent!.transcript_resource, null);
    const id = String(result.structuredContent!.id);
    assertToolError(await call(client, 'get_transcript', { job_id: id }), 'NOT_READY', /get_job/);
    const ended = await service.waitForEnd(id, AbortSignal.timeout(240_000));
    assert.equal(ended.status, 'completed');
  });

  test("another key's job is invisible: JOB_NOT_FOUND, no search hit, no resource", async () => {
    await invisible(await connect(BOB), tour.jobId, tour.word);
  });

  test('no key or a wrong key: 401 before any MCP; GET and DELETE: 405 (stateless); another Origin: 403', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const none = await fetch(`${server.url}/mcp`, { method: 'POST', headers, body });
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED');
    const wrong = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { ...headers, authorization: 'Bearer not-a-key-0000000000000' }, body });
    assert.equal(wrong.status, 401);
    await assert.rejects(connect('not-a-key-0000000000000'), /401|Unauthorized|invalid API key/i);
    for (const method of ['GET', 'DELETE']) {
      const response = await fetch(`${server.url}/mcp`, { method, headers: { authorization: `Bearer ${ALICE}`, accept: 'text/event-stream' } });
      assert.equal(response.status, 405, method);
      assert.equal(response.headers.get('allow'), 'POST');
    }
    const foreign = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { ...headers, authorization: `Bearer ${ALICE}`, origin: 'http://evil.example' }, body });
    assert.equal(foreign.status, 403);
    const same = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { ...headers, authorization: `Bearer ${ALICE}`, origin: server.url }, body });
    assert.equal(same.status, 200);
  });
});
