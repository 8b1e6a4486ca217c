/**
 * A small wrapper over child_process.spawn for the external tools (ffmpeg, ffprobe, pocketsphinx):
 * every run takes an AbortSignal and a timeout, and a missing binary becomes a typed error.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { ParascribeError } from '../errors.js';

export interface RunOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Caps captured stdout; output beyond it is dropped (stderr is always capped at 64 KiB). */
  maxStdoutBytes?: number;
  stdin?: NodeJS.ReadableStream;
}

export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

const INSTALL_HINT: Record<string, string> = {
  ffmpeg: 'apt-get install ffmpeg',
  ffprobe: 'apt-get install ffmpeg',
  pocketsphinx_continuous: 'apt-get install pocketsphinx pocketsphinx-en-us',
};

export function toolMissing(command: string): ParascribeError {
  const hint = INSTALL_HINT[command];
  return new ParascribeError('TOOL_MISSING', `${command} not found on PATH${hint ? ` (install it: ${hint})` : ''}`);
}

/** Spawns a tool whose lifetime is bound to the signal: abort or timeout kills it (SIGKILL after a grace). */
export function spawnBound(command: string, args: string[], options: SpawnOptions & { signal?: AbortSignal; timeoutMs?: number }): {
  child: ChildProcess;
  done: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; reason?: 'aborted' | 'timeout' }>;
} {
  const { signal, timeoutMs, ...spawnOptions } = options;
  const child = spawn(command, args, spawnOptions);
  let reason: 'aborted' | 'timeout' | undefined;
  const kill = (why: 'aborted' | 'timeout') => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    reason ??= why;
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  };
  const onAbort = () => kill('aborted');
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  const timer = timeoutMs ? setTimeout(() => kill('timeout'), timeoutMs) : undefined;
  timer?.unref();
  const done = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; reason?: 'aborted' | 'timeout' }>(
    (resolve, reject) => {
      child.once('error', (error: NodeJS.ErrnoException) => {
        cleanup();
        reject(error.code === 'ENOENT' ? toolMissing(command) : error);
      });
      child.once('close', (exitCode, exitSignal) => {
        cleanup();
        resolve({ exitCode, signal: exitSignal, ...(reason ? { reason } : {}) });
      });
    },
  );
  const cleanup = () => {
    if (timer) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  };
  return { child, done };
}

/** Runs a tool to completion, capturing its output. Rejects only on spawn failure, abort or timeout. */
export async function runTool(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  const { child, done } = spawnBound(command, args, {
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  const maxStdout = options.maxStdoutBytes ?? 64 * 1024 * 1024;
  const stdout: Buffer[] = [];
  let stdoutBytes = 0;
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    if (stdoutBytes < maxStdout) stdout.push(chunk);
    stdoutBytes += chunk.length;
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    if (stderr.length < 64 * 1024) stderr += chunk.toString('utf8');
  });
  if (options.stdin && child.stdin) {
    child.stdin.on('error', () => {}); // EPIPE when the tool exits early; its exit code tells the story
    options.stdin.pipe(child.stdin);
  }
  const result = await done;
  if (result.reason === 'aborted') {
    throw new ParascribeError('ABORTED', `${command} aborted`);
  }
  if (result.reason === 'timeout') {
    throw new ParascribeError('SEGMENT_TIMEOUT', `${command} timed out after ${Math.round((options.timeoutMs ?? 0) / 1000)} s`);
  }
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    stdout: Buffer.concat(stdout).toString('utf8'),
    stderr,
    wallMs: performance.now() - started,
  };
}
