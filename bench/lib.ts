/**
 * Shared plumbing for the benchmarks: paths, timed child processes, test-audio generation, tables and
 * the append-only results log. Benchmarks shell out to real binaries, so everything here is
 * spawn-based and measures wall-clock from spawn to exit.
 */
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const WORK_DIR = path.join(REPO_ROOT, 'bench', 'work');
/** PARASCRIBE_CLI points the benchmarks at another build of the CLI (or a stand-in, to test the harness). */
export const CLI_PATH = path.resolve(process.env.PARASCRIBE_CLI ?? path.join(REPO_ROOT, 'bin', 'parascribe.js'));
export const RESULTS_PATH = path.join(REPO_ROOT, 'bench', 'RESULTS.md');
const MAKE_LONG_AUDIO = path.join(REPO_ROOT, 'scripts', 'make-long-audio.sh');

/** Prints a message and exits non-zero: benchmarks report setup problems plainly instead of with stack traces. */
export function die(message: string): never {
  console.error(`error: ${message}`);
  process.exit(2);
}

export function requireCli(): string {
  if (!existsSync(CLI_PATH)) {
    die(`${CLI_PATH} is missing: this benchmark drives the parascribe CLI, which must exist (and be built, if it loads dist/) first`);
  }
  return CLI_PATH;
}

export function requireTools(...tools: string[]): void {
  for (const tool of tools) {
    const found = spawnSync('sh', ['-c', `command -v "$1"`, 'sh', tool], { stdio: 'ignore' }).status === 0;
    if (!found) die(`${tool} not found on PATH`);
  }
}

export function requireFile(file: string, what: string): string {
  if (!existsSync(file)) die(`${what} not found: ${file}`);
  return path.resolve(file);
}

/** Builds (or reuses) bench/work/<name> with scripts/make-long-audio.sh; returns the audio and reference paths. */
export function ensureLongAudio(fileName: string, minSec: number): { audio: string; reference: string } {
  mkdirSync(WORK_DIR, { recursive: true });
  const audio = path.join(WORK_DIR, fileName);
  const result = spawnSync('bash', [MAKE_LONG_AUDIO, audio, String(minSec)], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) die(`make-long-audio.sh failed for ${audio} (exit ${result.status ?? result.signal})`);
  return { audio, reference: audio.replace(/\.[^.]+$/, '.txt') };
}

export function probeDurationSec(file: string): number {
  const result = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  const seconds = Number.parseFloat(result.stdout);
  if (result.status !== 0 || !Number.isFinite(seconds)) die(`ffprobe could not read the duration of ${file}: ${result.stderr.trim()}`);
  return seconds;
}

export interface TimedRun {
  wallSec: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Spawns a command and resolves when it exits, with the wall-clock time from spawn to exit.
 * `onSpawn` gets the child's pid (e.g. to sample its memory while it runs).
 */
export function runTimed(
  command: string,
  args: string[],
  options: SpawnOptions & { onSpawn?: (pid: number) => void; captureStdout?: boolean } = {},
): Promise<TimedRun> {
  const { onSpawn, captureStdout = true, ...spawnOptions } = options;
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { ...spawnOptions, stdio: ['ignore', captureStdout ? 'pipe' : 'ignore', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', (error) => reject(new Error(`could not start ${command}: ${error.message}`)));
    child.once('spawn', () => child.pid !== undefined && onSpawn?.(child.pid));
    child.once('close', (exitCode, signal) => {
      resolve({
        wallSec: Number(process.hrtime.bigint() - started) / 1e9,
        exitCode,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
  });
}

/** Throws with the tail of stderr when a timed run failed. */
export function assertSucceeded(run: TimedRun, what: string): void {
  if (run.exitCode === 0) return;
  const tail = run.stderr.trim().split('\n').slice(-15).join('\n');
  throw new Error(`${what} failed (exit ${run.exitCode ?? run.signal}) after ${run.wallSec.toFixed(1)} s:\n${tail}`);
}

/** The CLI's `--json` summary: the last stdout line that parses as a JSON object (logs may precede it). */
export function parseJsonSummary(stdout: string): Record<string, unknown> | undefined {
  try {
    const whole = JSON.parse(stdout) as unknown;
    if (whole && typeof whole === 'object' && !Array.isArray(whole)) return whole as Record<string, unknown>;
  } catch {
    // not a single JSON document; fall back to line by line
  }
  for (const line of stdout.trim().split('\n').reverse()) {
    if (!line.trimStart().startsWith('{')) continue;
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
  }
  return undefined;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function markdownTable(headers: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.map(String).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export const fmt = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : String(value));

/** One line describing where a result was measured: results from a noisy 2-core box need that context. */
export function machineDescription(): string {
  const cpus = os.cpus();
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  return `${os.availableParallelism()} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, load avg at end ${load}`;
}

/** Appends (never overwrites) a dated section to bench/RESULTS.md. */
export function recordResults(title: string, body: string): void {
  const header = existsSync(RESULTS_PATH) ? '' : '# Benchmark results\n\nAppended by `bench/*.ts --record`; newest last.\n';
  const section = `\n## ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} — ${title}\n\n${machineDescription()}\n\n${body.trim()}\n`;
  appendFileSync(RESULTS_PATH, header + section);
  console.log(`\nappended to ${path.relative(process.cwd(), RESULTS_PATH)}`);
}

export function readText(file: string): string {
  return readFileSync(file, 'utf8');
}

/** Parses a positive number flag, dying with a clear message otherwise. */
export function positiveNumber(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) die(`${flag} must be a positive number, got '${value}'`);
  return parsed;
}
