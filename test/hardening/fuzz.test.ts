/**
 * Issue 22, part 2: the HTTP API under a generated, hostile workload.
 * - In-process: FUZZ_REQUESTS (default 6,000) requests generated from our OpenAPI document with
 *   fast-check, seeded (FUZZ_SEED, default 22), every invariant checked after each one
 *   (test/hardening/lib/fuzz-invariants.ts): no 5xx for a client error, our JSON error body on every
 *   4xx, nothing of tenant B in anything tenant A receives, RSS and open files bounded, no job
 *   directory without its job.
 * - Over a real socket, what fetch cannot send: a body trickled a byte a second, a client that
 *   vanishes mid-upload, Content-Length that lies, headers over the limit, Authorization twice, a
 *   100 MB form field and a 100 MB JSON body streamed chunked (memory must not follow), Range and
 *   Last-Event-ID abuse.
 * The long run (≥ 100,000 requests) is bench/fuzz.ts.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkAnswer, openFileCount, orphanDirs } from './lib/fuzz-invariants.js';
import { runFuzz } from './lib/fuzz-run.js';
import { head, multipartAround, rawRequest, type Piece, type RawAnswer } from './lib/fuzz-socket.js';
import { KEY_A, startFuzzTarget, type FuzzTarget } from './lib/fuzz-target.js';

const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 6_000);
const SEED = Number(process.env.FUZZ_SEED ?? 22);
const AUTH: [string, string] = ['Authorization', `Bearer ${KEY_A}`];
const MB = 1024 * 1024;

/** One chunk of a chunked body. */
const chunk = (data: Buffer | string): Buffer => {
  const bytes = Buffer.from(data);
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]);
};

/** The largest RSS seen while `run` runs (sampled every 20 ms), minus the RSS before it. */
async function rssGrowthMb<T>(run: () => Promise<T>): Promise<{ result: T; growthMb: number }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  try {
    const result = await run();
    return { result, growthMb: (peak - before) / MB };
  } finally {
    clearInterval(sampler);
  }
}

describe('HTTP fuzz (issue 22)', { timeout: 280_000 }, () => {
  let target: FuzzTarget;
  let port: number;
  before(async () => {
    target = await startFuzzTarget({ bodyIdleTimeoutSec: 2, maxUploadMb: 8 });
    port = Number(new URL(target.listening.url).port);
  });
  after(async () => target?.close());

  /** The answer-level invariants on a raw answer, and that it is the status expected. */
  const expectAnswer = (name: string, answer: RawAnswer, statuses: number[], code?: string) => {
    assert.ok(statuses.includes(answer.status), `${name}: ${answer.status} ${answer.body.slice(0, 200)}`);
    const problems = checkAnswer({ askedForeign: false, method: 'POST', path: name, status: answer.status, contentType: answer.headers['content-type'] ?? '', text: answer.body }, target.foreign, target.dataDir);
    assert.deepEqual(problems, [], name);
    if (code) assert.equal(JSON.parse(answer.body).error.code, code, name);
  };

  const noOrphans = async () => {
    // An abandoned upload's directory goes when its handler notices; give it a moment.
    for (let i = 0; i < 50; i++) {
      if ((await orphanDirs(target.dataDir, target.runtime.store, new Set())).length === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(await orphanDirs(target.dataDir, target.runtime.store, new Set()), [], 'job directories with no job');
  };

  test(`${REQUESTS} generated requests (seed ${SEED}): 0 invariant violations, 0 server errors`, async () => {
    const report = await runFuzz(target, { seed: SEED, count: REQUESTS });
    const serverErrors = Object.entries(report.byStatus).filter(([s]) => Number(s) >= 500);
    console.log(`# fuzz: ${report.requests} requests in ${(report.wallMs / 1000).toFixed(1)} s, statuses ${JSON.stringify(report.byStatus)}, jobs created ${report.jobsCreated}, RSS ${report.startRssMb} → ${report.peakRssMb} MB, open files ${report.startFds} → ${report.peakFds}`);
    assert.deepEqual(report.violations.slice(0, 5), [], `${report.violationCount} violations`);
    assert.equal(report.requests, REQUESTS);
    assert.ok(report.requests >= 5_000 || process.env.FUZZ_REQUESTS, 'at least 5,000 requests in CI');
    assert.ok(serverErrors.every(([s]) => ['501', '502'].includes(s)), JSON.stringify(serverErrors));
    // Every kind of answer the API gives came up: the generator reaches past auth and validation.
    for (const status of [200, 202, 400, 401, 404]) assert.ok(report.byStatus[status], `no ${status} in ${JSON.stringify(report.byStatus)}`);
  });

  test('a body trickled in a byte a second is cut off (408, our body) once the grace is over; JSON bodies too; nothing left behind', async () => {
    const mp = multipartAround('BB', target.wav);
    const body = Buffer.concat([mp.before, mp.file, mp.after]);
    const trickle = (bytes: Buffer): Piece[] => Array.from(bytes.subarray(0, 60)).flatMap((b): Piece[] => [Buffer.from([b]), { pauseMs: 1_000 }]);
    const uploads = await rawRequest(port, [head('POST', '/v1/jobs', [AUTH, ['Content-Type', 'multipart/form-data; boundary=BB'], ['Content-Length', String(body.length)]]), ...trickle(body)], 30_000);
    expectAnswer('slow upload', uploads, [408], 'REQUEST_TIMEOUT');
    // Cut off at the first rate check after the grace (bodyIdleTimeoutSec 2 s), not after the whole request timeout.
    assert.ok(uploads.elapsedMs < 10_000, `${uploads.elapsedMs} ms`);
    const json = Buffer.from(JSON.stringify({ url: 'http://example.invalid/a.wav', language: 'en' }));
    const jsonAnswer = await rawRequest(port, [head('POST', '/v1/jobs', [AUTH, ['Content-Type', 'application/json'], ['Content-Length', String(json.length)]]), ...trickle(json)], 30_000);
    expectAnswer('slow JSON', jsonAnswer, [408], 'REQUEST_TIMEOUT');
    // /mcp: the SDK reads its own body; the pace is enforced under it, and it answers with a JSON-RPC error.
    const rpc = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }));
    const mcpAnswer = await rawRequest(port, [head('POST', '/mcp', [AUTH, ['Content-Type', 'application/json'], ['Accept', 'application/json, text/event-stream'], ['Content-Length', String(rpc.length)]]), ...trickle(rpc)], 30_000);
    assert.ok(mcpAnswer.status >= 400 && mcpAnswer.status < 500, `slow /mcp: ${mcpAnswer.status} ${mcpAnswer.body}`);
    assert.ok(mcpAnswer.elapsedMs < 10_000, `slow /mcp answered after ${mcpAnswer.elapsedMs} ms`);
    await noOrphans();
  });

  test('Content-Length that lies: longer than the body (stalls → 408), shorter, not a number, negative, with chunked too (400); all our JSON body', async () => {
    const mp = multipartAround('BB', target.wav);
    const body = Buffer.concat([mp.before, mp.file, mp.after]);
    const form = (length: string): Piece[] => [head('POST', '/v1/jobs', [AUTH, ['Content-Type', 'multipart/form-data; boundary=BB'], ['Content-Length', length]]), body];
    expectAnswer('CL longer', await rawRequest(port, form(String(body.length + 1_000))), [408], 'REQUEST_TIMEOUT');
    expectAnswer('CL shorter', await rawRequest(port, form(String(body.length - 1_000))), [400]);
    expectAnswer('CL not a number', await rawRequest(port, form('abc')), [400], 'INVALID_ARGUMENT');
    expectAnswer('CL negative', await rawRequest(port, form('-5')), [400], 'INVALID_ARGUMENT');
    expectAnswer('CL + chunked', await rawRequest(port, [head('POST', '/v1/jobs', [AUTH, ['Content-Type', 'application/json'], ['Content-Length', '5'], ['Transfer-Encoding', 'chunked']]), '0\r\n\r\n']), [400], 'INVALID_ARGUMENT');
    const json = head('POST', '/v1/jobs', [AUTH, ['Content-Type', 'application/json'], ['Content-Length', '999999999999']]);
    expectAnswer('CL huge (JSON)', await rawRequest(port, [json, '{}']), [413], 'PAYLOAD_TOO_LARGE');
    expectAnswer('JSON CL longer', await rawRequest(port, [head('POST', '/v1/jobs', [AUTH, ['Content-Type', 'application/json'], ['Content-Length', '100']]), '{"url":']), [408], 'REQUEST_TIMEOUT');
    await noOrphans();
  });

  test('a client that disconnects mid-upload: its job directory and file go, open files return to where they were', async () => {
    const fdsBefore = openFileCount();
    const big = Buffer.alloc(4 * MB, 7);
    const mp = multipartAround('BB', big);
    for (let i = 0; i < 5; i++) {
      const pieces: Piece[] = [head('POST', '/v1/jobs', [AUTH, ['Content-Type', 'multipart/form-data; boundary=BB'], ['Content-Length', String(mp.before.length + big.length + mp.after.length)]]), mp.before, big.subarray(0, (i + 1) * 500_000), { pauseMs: 100 }, { destroy: true }];
      await rawRequest(port, pieces, 2_000);
    }
    await noOrphans();
    let fds = openFileCount();
    for (let i = 0; i < 50 && fds > fdsBefore + 4; i++) {
      await new Promise((r) => setTimeout(r, 100));
      fds = openFileCount();
    }
    assert.ok(fds <= fdsBefore + 4, `open files ${fdsBefore} → ${fds}`);
  });

  test('headers over the limits (431) and malformed requests (400) get our JSON error body; Authorization twice is refused (401), never another key', async () => {
    expectAnswer('100 KB header', await rawRequest(port, [head('GET', '/v1/jobs', [AUTH, ['X-Big', 'x'.repeat(100_000)]])]), [431], 'PAYLOAD_TOO_LARGE');
    const many = Array.from({ length: 3_000 }, (_, i): [string, string] => [`X-H${i}`, 'v']);
    expectAnswer('3,000 headers', await rawRequest(port, [head('GET', '/v1/jobs', [AUTH, ...many])]), [431], 'PAYLOAD_TOO_LARGE');
    expectAnswer('request line', await rawRequest(port, ['GARBAGE\r\n\r\n']), [400], 'INVALID_ARGUMENT');
    const bogus: [string, string] = ['Authorization', 'Bearer not-a-key-000000000000000'];
    expectAnswer('auth twice, bogus first', await rawRequest(port, [head('GET', '/v1/jobs', [bogus, AUTH])]), [401], 'UNAUTHORIZED');
    expectAnswer('auth twice, own first', await rawRequest(port, [head('GET', '/v1/jobs', [AUTH, bogus])]), [401], 'UNAUTHORIZED');
  });

  test('a 100 MB form field and a 100 MB JSON body, streamed chunked: refused (400/413), memory does not follow', async () => {
    const piece = Buffer.alloc(256 * 1024, 'e'.charCodeAt(0));
    const field: Piece[] = [
      head('POST', '/v1/jobs', [AUTH, ['Content-Type', 'multipart/form-data; boundary=BB'], ['Transfer-Encoding', 'chunked']]),
      chunk('--BB\r\nContent-Disposition: form-data; name="language"\r\n\r\n'),
      ...Array<Piece>(400).fill(chunk(piece)),
      chunk('\r\n--BB--\r\n'),
      '0\r\n\r\n',
    ];
    const fieldRun = await rssGrowthMb(() => rawRequest(port, field, 60_000));
    expectAnswer('100 MB field', fieldRun.result, [400], 'INVALID_ARGUMENT');
    assert.ok(fieldRun.growthMb < 64, `RSS grew ${fieldRun.growthMb.toFixed(0)} MB`);
    const file: Piece[] = [
      head('POST', '/v1/jobs', [AUTH, ['Content-Type', 'multipart/form-data; boundary=BB'], ['Transfer-Encoding', 'chunked']]),
      chunk('--BB\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n'),
      ...Array<Piece>(400).fill(chunk(piece)),
      '0\r\n\r\n',
    ];
    const fileRun = await rssGrowthMb(() => rawRequest(port, file, 60_000));
    expectAnswer('100 MB file over an 8 MB cap', fileRun.result, [413], 'PAYLOAD_TOO_LARGE');
    assert.ok(fileRun.growthMb < 64, `RSS grew ${fileRun.growthMb.toFixed(0)} MB`);
    const own = target.ownJobIds[0]!;
    for (const path of ['/v1/jobs', `/v1/jobs/${own}/ask`]) {
      const json: Piece[] = [head('POST', path, [AUTH, ['Content-Type', 'application/json'], ['Transfer-Encoding', 'chunked']]), chunk('{"question":"'), ...Array<Piece>(400).fill(chunk(piece)), chunk('"}'), '0\r\n\r\n'];
      const run = await rssGrowthMb(() => rawRequest(port, json, 60_000));
      expectAnswer(`100 MB JSON to ${path}`, run.result, [413], 'PAYLOAD_TOO_LARGE');
      assert.ok(run.growthMb < 64, `${path}: RSS grew ${run.growthMb.toFixed(0)} MB`);
    }
    await noOrphans();
  });

  test('Range and Last-Event-ID abuse over the socket: 206/200/416 as RFC 9110 says, 400 for a bad Last-Event-ID, never a 5xx', async () => {
    const own = target.ownJobIds[0]!;
    const range = async (value: string) => rawRequest(port, [head('GET', `/v1/jobs/${own}/audio`, [AUTH, ['Range', value]])]);
    assert.equal((await range('bytes=0-0')).status, 206);
    assert.equal((await range('bytes=0-1,5-9')).status, 200);
    assert.equal((await range('bytes=-99999999999999999999')).status, 206);
    expectAnswer('range past the end', await range('bytes=99999999999-'), [416], 'RANGE_NOT_SATISFIABLE');
    for (const value of ['bytes=5-1', 'items=0-1', 'bytes=--1', 'x'.repeat(8_000)]) assert.ok([200, 206, 416].includes((await range(value)).status), value);
    const events = async (value: string) => rawRequest(port, [head('GET', `/v1/jobs/${own}/events`, [AUTH, ['Last-Event-ID', value]])], 3_000);
    for (const value of ['-5', '1.5', 'NaN', '1e3x', 'x'.repeat(5_000)]) expectAnswer(`Last-Event-ID ${value.slice(0, 10)}`, await events(value), [400], 'INVALID_ARGUMENT');
    for (const value of ['-1', '0', '99999999', '9007199254740993']) {
      const answer = await events(value);
      assert.equal(answer.status, 200, `${value}: ${answer.body.slice(0, 200)}`);
      assert.match(answer.body, /event: done/, value);
    }
  });

  test('afterwards: the data dir holds only jobs with rows; open files bounded', async () => {
    await noOrphans();
    const dirs = readdirSync(join(target.dataDir, 'jobs'));
    assert.ok(dirs.length >= 2);
    assert.ok(openFileCount() < 200, `${openFileCount()} open files`);
  });
});
