/** Spawns the built CLI (bin/parascribe.js) with an isolated data dir, as a user would run it. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'parascribe.js');
export const FIXTURES = process.env.PARASCRIBE_FIXTURES ?? join(ROOT, '..', 'shared', 'fixtures');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `parascribe-${prefix}-`));
}

export function runCli(args: string[], env: Record<string, string>, cwd = ROOT): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, wallMs: performance.now() - started }));
  });
}

/** Runs ffmpeg synchronously to make test media; throws with its stderr on failure. */
export function ffmpeg(args: string[]): void {
  const result = spawnSync('ffmpeg', ['-v', 'error', '-y', ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${result.stderr}`);
}

export function parseJsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
}

export interface RunningProcess {
  child: import('node:child_process').ChildProcess;
  /** The first match of the ready pattern on stdout. */
  ready: RegExpExecArray;
  stderr: () => string;
  /** Resolves with the exit code / signal once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** A real SIGKILL. */
  kill9(): Promise<void>;
}

/** Starts the built CLI as a long-running process and waits until stdout matches `readyPattern`. */
export async function startCliProcess(args: string[], env: Record<string, string>, readyPattern: RegExp, startTimeoutMs: number): Promise<RunningProcess> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`parascribe ${args[0]} did not start: ${stderr}`)), startTimeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const match = readyPattern.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`parascribe ${args[0]} exited (${code ?? signal}) before it was ready: ${stderr}`));
    });
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    ready,
    stderr: () => stderr,
    exited,
    async stop() {
      if (running()) child.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
  };
}
