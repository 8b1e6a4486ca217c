/**
 * Issue 4, acceptance 6: does a steady stream of `GET /v1/jobs/:id` (200 req/s by default) slow the
 * job it polls? One `parascribe serve` process for the whole benchmark; runs alternate A, B, A, B, …:
 * A = the job alone, B = the same job while a load generator in a SEPARATE node process polls it at a
 * fixed rate (open loop: request i is due at start + i/rate, a timer sends everything due, catching up
 * when it fires late). The generator writes pre-built HTTP/1.1 requests round-robin on 4 keep-alive
 * sockets (node:net) and parses only status line and Content-Length: it stands in for clients on
 * other machines, and on this box every CPU cycle it spends comes out of the job, so it is kept lean
 * (about 0.4 ms of CPU per request here, against 0.75 ms through node:http's client). The job's own `telemetry.wall_sec`
 * is compared: slowdown = median(B) / median(A) − 1, goal ≤ 5 %. The generator shares the machine's
 * cores with the server and pocketsphinx, which is the realistic case (a poller on the same box).
 *
 *   node --import tsx bench/serve-load.ts [--runs 5] [--rate 200] [--segment-sec 60] [--file X] [--record]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startServer, submitFile, waitForJob, type RunningServer } from '../test/helpers/server.js';
import { REPO_ROOT, WORK_DIR, die, fmt, machineDescription, markdownTable, median, positiveNumber, probeDurationSec, recordResults, requireCli, requireFile, requireTools } from './lib.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    rate: { type: 'string' },
    'segment-sec': { type: 'string' },
    file: { type: 'string' },
    'generator-nice': { type: 'string' },
    record: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('usage: node --import tsx bench/serve-load.ts [--runs 5] [--rate 200] [--segment-sec 60] [--file X] [--generator-nice N] [--record]');
  process.exit(0);
}
const runs = Math.round(positiveNumber(values.runs, '--runs', 5));
const rate = positiveNumber(values.rate, '--rate', 200);
// The load generator stands in for clients on other machines; on this 2-core box its own CPU competes
// with the job. `--generator-nice 19` runs it at the lowest priority, so mostly the server's cost shows.
const generatorNice = values['generator-nice'] === undefined ? 0 : Math.round(Number(values['generator-nice']));
const segmentSec = positiveNumber(values['segment-sec'], '--segment-sec', 60);
const fixtures = process.env.FIXTURES_DIR ?? path.resolve(REPO_ROOT, '..', 'shared', 'fixtures');
const audio = requireFile(values.file ?? path.join(fixtures, 'gpl-preamble.mp3'), 'audio file');
requireCli(); // serve runs the built CLI (bin/parascribe.js → dist/)
requireTools('ffmpeg', 'ffprobe', 'pocketsphinx_continuous');

const KEY = 'bench-serve-load-key-0000000001';
const POLL_MS = 1000; // the bench's own completion poll, the same in both modes
const dataDir = path.join(WORK_DIR, 'data-serve-load');
const configPath = path.join(WORK_DIR, 'serve-load-config.json');
mkdirSync(WORK_DIR, { recursive: true });
rmSync(dataDir, { recursive: true, force: true });
writeFileSync(configPath, JSON.stringify({ serve: { rateLimit: { requestsPerSec: 10_000, burst: 10_000 } } }));

/**
 * The load generator, run as its own node process (plain ESM, no tsx). IPC protocol: it sends
 * {ready}; gets {start: {url, path, key, rate}}; fires until it gets {stop}, waits ≤ 5 s for
 * requests still in flight, sends {stats} and exits.
 */
const LOAD_GENERATOR = String.raw`
import net from 'node:net';
const CONNECTIONS = 4;
const latencies = [];
let sent = 0, ok = 0, errors = 0, maxInFlight = 0, stopping = false, timer, startedAt, stoppedAt;
const errorKinds = {};
const connections = [];
const inFlight = () => connections.reduce((n, c) => n + c.sentAt.length, 0);
function fail(kind, n = 1) { errors += n; errorKinds[kind] = (errorKinds[kind] ?? 0) + n; }
// One keep-alive HTTP/1.1 connection: pre-built request bytes out, responses parsed by status line and
// Content-Length (the server always sends one for this route), matched to requests in order.
function connect(target, request) {
  const c = { sentAt: [], buffer: Buffer.alloc(0) };
  c.socket = net.connect(target.port, target.host);
  c.socket.setNoDelay(true);
  c.socket.on('data', (data) => {
    c.buffer = c.buffer.length ? Buffer.concat([c.buffer, data]) : data;
    for (;;) {
      const headEnd = c.buffer.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const head = c.buffer.toString('latin1', 0, headEnd);
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (c.buffer.length < headEnd + 4 + length) return;
      const status = Number(head.slice(9, 12));
      const t0 = c.sentAt.shift();
      if (status === 200) { ok++; latencies.push(performance.now() - t0); } else fail(status);
      c.buffer = c.buffer.subarray(headEnd + 4 + length);
    }
  });
  c.socket.on('error', (e) => { fail(e.code ?? 'socket error', c.sentAt.length); c.sentAt.length = 0; });
  c.send = () => { if (c.socket.destroyed) return fail('closed'); c.sentAt.push(performance.now()); c.socket.write(request); };
  return c;
}
let cpu0;
function start(target) {
  const request = Buffer.from('GET ' + target.path + ' HTTP/1.1\r\nHost: ' + target.host + ':' + target.port + '\r\nAuthorization: Bearer ' + target.key + '\r\n\r\n');
  for (let i = 0; i < CONNECTIONS; i++) connections.push(connect(target, request));
  cpu0 = process.cpuUsage();
  const interval = 1000 / target.rate;
  startedAt = performance.now();
  let next = 0;
  const tick = () => {
    if (stopping) return;
    const now = performance.now();
    while (startedAt + next * interval <= now) { connections[next % CONNECTIONS].send(); sent++; next++; }
    maxInFlight = Math.max(maxInFlight, inFlight());
    timer = setTimeout(tick, Math.max(0, startedAt + next * interval - performance.now()));
  };
  tick();
}
async function stop() {
  stopping = true; clearTimeout(timer); stoppedAt = performance.now();
  const deadline = Date.now() + 5000;
  while (inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] : NaN;
  const cpu = process.cpuUsage(cpu0);
  const unanswered = inFlight();
  if (unanswered > 0) fail('unanswered', unanswered);
  for (const c of connections) c.socket.destroy();
  process.send({ stats: { cpuSec: (cpu.user + cpu.system) / 1e6, sent, ok, errors, errorKinds, durationSec: (stoppedAt - startedAt) / 1000, p50: q(0.5), p99: q(0.99), max: latencies.at(-1) ?? NaN, maxInFlight } }, () => process.exit(0));
}
process.on('message', (m) => { if (m.start) start(m.start); else if (m.stop) void stop(); });
process.send({ ready: true });
`;

interface LoadStats {
  cpuSec: number;
  sent: number;
  ok: number;
  errors: number;
  errorKinds: Record<string, number>;
  durationSec: number;
  p50: number;
  p99: number;
  max: number;
  maxInFlight: number;
}

async function startLoadGenerator(): Promise<{ child: ChildProcess; begin(target: object): void; finish(): Promise<LoadStats> }> {
  const node = [process.execPath, '--input-type=module', '-e', LOAD_GENERATOR];
  const command = generatorNice !== 0 ? ['nice', '-n', String(generatorNice), ...node] : node;
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages: Array<(m: any) => void> = [];
  child.on('message', (m) => messages.shift()?.(m));
  const next = () => new Promise<any>((resolve, reject) => {
    messages.push(resolve);
    child.once('exit', (code) => reject(new Error(`load generator exited (${code}) early`)));
  });
  await next(); // {ready}
  return {
    child,
    begin: (target) => child.send({ start: target }),
    async finish() {
      const reply = next();
      child.send({ stop: true });
      return ((await reply) as { stats: LoadStats }).stats;
    },
  };
}

/** CPU seconds (user + system) the server's node process itself has used; its ffmpeg/pocketsphinx children are not included. */
function serverCpuSec(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;


async function submit(url: string): Promise<string> {
  const { status, body } = await submitFile(url, audio, { segment_sec: String(segmentSec) }, KEY, path.basename(audio));
  if (status !== 202) throw new Error(`POST /v1/jobs → ${status}: ${JSON.stringify(body)}`);
  return String(body.id);
}

interface RunResult {
  mode: 'A' | 'B';
  wallSec: number;
  computeSec: number;
  serverCpuSec: number;
  load?: LoadStats;
}

async function runOnce(server: RunningServer, mode: 'A' | 'B'): Promise<RunResult> {
  const load = mode === 'B' ? await startLoadGenerator() : undefined;
  try {
    const cpu0 = serverCpuSec(server.child.pid!);
    const id = await submit(server.url);
    const { hostname, port } = new URL(server.url);
    load?.begin({ host: hostname, port: Number(port), path: `/v1/jobs/${id}`, key: KEY, rate });
    const job = await waitForJob(server.url, id, KEY, 15 * 60_000, POLL_MS);
    const stats = await load?.finish();
    const cpu = serverCpuSec(server.child.pid!) - cpu0;
    if (job.status !== 'completed') throw new Error(`job ${id} ended ${job.status}: ${JSON.stringify(job.error)}`);
    const t = job.telemetry as Record<string, any>;
    if (t.cache_hit || t.segments_reused > 0) throw new Error(`job ${id} reused cached work (cache_hit ${t.cache_hit}, segments_reused ${t.segments_reused}): the comparison needs real transcription`);
    return { mode, wallSec: Number(t.wall_sec), computeSec: Number(t.compute_sec), serverCpuSec: cpu, ...(stats ? { load: stats } : {}) };
  } finally {
    if (load && load.child.exitCode === null) load.child.kill('SIGKILL');
  }
}

// The same launcher the tests use: `serve --port 0`, waiting for its "listening on" line.
const server = await startServer({ dataDir, env: { PARASCRIBE_API_KEYS: KEY, PARASCRIBE_CONFIG: configPath, PARASCRIBE_CACHE: '0' }, startTimeoutMs: 30_000 });
let failure: string | undefined;
try {
  const durationSec = probeDurationSec(audio);
  process.stderr.write(`serve at ${server.url}; ${path.basename(audio)} (${fmt(durationSec, 1)} s), segment_sec ${segmentSec}, ${runs} run(s) per mode, load ${rate} req/s\n`);
  process.stderr.write('warm-up job (not counted)…\n');
  const warm = await runOnce(server, 'A');
  process.stderr.write(`  warm-up: job wall ${fmt(warm.wallSec)} s\n`);
  const results: RunResult[] = [];
  for (let run = 1; run <= runs; run++) {
    for (const mode of ['A', 'B'] as const) {
      const r = await runOnce(server, mode);
      results.push(r);
      const extra = r.load ? `, ${fmt(r.load.sent / r.load.durationSec, 1)} req/s sent, p50 ${fmt(r.load.p50, 1)} ms, p99 ${fmt(r.load.p99, 1)} ms, errors ${r.load.errors}` : '';
      process.stderr.write(`  run ${run} ${mode}: job wall ${fmt(r.wallSec)} s, compute ${fmt(r.computeSec)} s, server node CPU ${fmt(r.serverCpuSec)} s${extra}  (load avg ${os.loadavg()[0]!.toFixed(2)})\n`);
    }
  }
  const a = results.filter((r) => r.mode === 'A');
  const b = results.filter((r) => r.mode === 'B');
  const loads = b.map((r) => r.load!);
  const medianA = median(a.map((r) => r.wallSec));
  const medianB = median(b.map((r) => r.wallSec));
  const slowdownPct = (medianB / medianA - 1) * 100;
  const walls = (rs: RunResult[]) => rs.map((r) => fmt(r.wallSec, 1)).join(', ');
  const table = markdownTable(
    ['mode', 'job wall s (median)', 'min–max', 'every run', 'segment time s (median)', 'server node CPU s (median)', 'achieved req/s', 'GET p50 ms', 'GET p99 ms', 'GET max ms', 'requests', 'errors (non-200)'],
    [
      ['A: job alone', fmt(medianA), `${fmt(Math.min(...a.map((r) => r.wallSec)))}–${fmt(Math.max(...a.map((r) => r.wallSec)))}`, walls(a), fmt(median(a.map((r) => r.computeSec))), fmt(median(a.map((r) => r.serverCpuSec))), '—', '—', '—', '—', '—', '—'],
      [
        `B: + ${rate} GET/s`,
        fmt(medianB),
        `${fmt(Math.min(...b.map((r) => r.wallSec)))}–${fmt(Math.max(...b.map((r) => r.wallSec)))}`,
        walls(b),
        fmt(median(b.map((r) => r.computeSec))),
        fmt(median(b.map((r) => r.serverCpuSec))),
        fmt(median(loads.map((l) => l.sent / l.durationSec)), 1),
        fmt(median(loads.map((l) => l.p50)), 1),
        fmt(Math.max(...loads.map((l) => l.p99)), 1),
        fmt(Math.max(...loads.map((l) => l.max)), 1),
        String(loads.reduce((s, l) => s + l.sent, 0)),
        String(loads.reduce((s, l) => s + l.errors, 0)),
      ],
    ],
  );
  const errorKinds: Record<string, number> = {};
  for (const l of loads) for (const [k, n] of Object.entries(l.errorKinds)) errorKinds[k] = (errorKinds[k] ?? 0) + n;
  const pass = slowdownPct <= 5;
  const pairs = a.map((ra, i) => (b[i]!.wallSec / ra.wallSec - 1) * 100);
  const body = [
    table,
    '',
    `**slowdown = median(B) / median(A) − 1 = ${fmt(slowdownPct, 1)} %** (goal ≤ 5 %: ${pass ? 'met' : 'NOT met'})`,
    '',
    `- per pair (run i: B_i / A_i − 1): ${pairs.map((p) => `${fmt(p, 1)} %`).join(', ')}; median ${fmt(median(pairs), 1)} %`,
    `- audio: ${path.basename(audio)} (${fmt(durationSec, 1)} s) uploaded to one \`parascribe serve\` (PARASCRIBE_CACHE=0, default backend and k), segment_sec ${segmentSec}; one warm-up job, then ${runs} × A, B alternating; job wall = the job's own \`telemetry.wall_sec\``,
    `- B: a separate node process sends GET /v1/jobs/:id open-loop at ${rate} req/s (catching-up timer, pre-built requests round-robin on 4 keep-alive node:net sockets) from just after the job is accepted until it is seen completed; it shares the cores with the server and pocketsphinx${generatorNice !== 0 ? ` at nice ${generatorNice} (standing in for remote clients)` : " at the same priority"}. Achieved req/s = sent / load duration (median over B runs); p50 median over runs, p99/max worst run; latency is from send to the end of the response; most requests in flight at once: ${Math.max(...loads.map((l) => l.maxInFlight))}; the generator's own CPU: median ${fmt(median(loads.map((l) => l.cpuSec)))} s per B run${Object.keys(errorKinds).length ? `; errors by kind: ${JSON.stringify(errorKinds)}` : ''}`,
    '- segment time = `telemetry.compute_sec` (sum of segment wall times, k ≈ 2 of them at once); server node CPU = utime + stime of the serve process itself over the run (/proc, without its ffmpeg/pocketsphinx children): the direct cost of answering the GETs',
    `- both modes also poll the job once per ${POLL_MS} ms to see it finish`,
    `- command: \`node --import tsx bench/serve-load.ts ${process.argv.slice(2).join(' ')}\``.replace(/ `$/, '`'),
  ].join('\n');
  process.stdout.write(`${machineDescription()}\n\n${body}\n`);
  if (values.record) recordResults('serve: job wall with and without GET /v1/jobs/:id load (bench/serve-load.ts)', body);
} catch (error) {
  process.stderr.write(`serve stderr (tail):\n${server.stderr().split('\n').slice(-20).join('\n')}\n`);
  failure = error instanceof Error ? error.message : String(error);
} finally {
  await server.stop();
}
if (failure) die(failure);
