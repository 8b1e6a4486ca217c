/**
 * One whisper.cpp worker process as the parent sees it: started with `fork` and an IPC channel
 * (worker.ts under tsx, worker.js in the build), its stderr tail kept for error messages, killed with
 * SIGKILL (the binding cannot stop a running inference).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ParascribeError } from '../../errors.js';
import type { FromWorker, InitMessage, LoadFailedReply, ReadyReply } from './protocol.js';

/** A worker's start: `loadMs` in the worker (binding and model), `startMs` from fork to ready. */
export interface ColdStart extends ReadyReply {
  startMs: number;
}

export interface WorkerProcess {
  child: ChildProcess;
  busy: boolean;
  served: number;
  /** Resolves once the model is loaded; rejects with BACKEND_UNAVAILABLE if the worker closes first. */
  ready: Promise<ColdStart>;
  /** Resolves after the process has exited and its stderr is drained. */
  closed: Promise<void>;
  stderr: string;
  /** Killed or exited: never handed out again. */
  dead: boolean;
  /** Why the parent killed it, when it did (reported to a request in flight). */
  killedBy?: ParascribeError;
  /** Set while a request is in flight: route the worker's messages and its death to it. */
  onMessage?: (message: FromWorker) => void;
  onClose?: () => void;
}

/** The worker's module next to this one: worker.ts under tsx, worker.js in the build. */
export function workerEntry(): { path: string; execArgv: string[] } {
  const fromTs = import.meta.url.endsWith('.ts');
  const path = fileURLToPath(new URL(fromTs ? './worker.ts' : './worker.js', import.meta.url));
  if (!fromTs) return { path, execArgv: [] };
  let tsx = 'tsx';
  try {
    tsx = import.meta.resolve('tsx');
  } catch {
    // fall back to resolution from the working directory
  }
  return { path, execArgv: ['--import', tsx] };
}

/** The whisper.cpp log lines that say why something failed. */
export function failureLines(stderr: string): string {
  const lines = stderr.split('\n').filter((line) => /invalid|failed|error|assert|cannot|abort|not found|out of memory/i.test(line));
  return lines.slice(0, 2).map((line) => line.trim().slice(0, 300)).join('; ');
}

/** Starts a worker and sends it `init`; `onClosed` runs once when it is gone, before `onClose`. */
export function startWorker(init: InitMessage, label: string, onClosed: (worker: WorkerProcess) => void): WorkerProcess {
  const { path, execArgv } = workerEntry();
  const child = fork(path, [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let loadFailure: LoadFailedReply | undefined;
  const worker: WorkerProcess = { child, busy: true, served: 0, dead: false, stderr: '', ready: undefined!, closed: undefined! };
  child.on('error', () => {}); // spawn failure or a send to a dead channel: the close path reports it
  child.stderr!.on('data', (chunk: Buffer) => {
    worker.stderr = (worker.stderr + chunk.toString('utf8')).slice(-16_384);
  });
  worker.closed = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', () => resolve());
  }).then(() => {
    worker.dead = true;
    onClosed(worker);
    worker.onClose?.();
  });
  const started = performance.now();
  worker.ready = new Promise<ColdStart>((resolve, reject) => {
    child.on('message', (message: FromWorker) => {
      if (message.type === 'ready') resolve({ ...message, startMs: performance.now() - started });
      else if (message.type === 'load-failed') loadFailure = message;
      else worker.onMessage?.(message);
    });
    void worker.closed.then(() => {
      if (worker.killedBy) return reject(worker.killedBy);
      const why = failureLines(worker.stderr);
      const base = loadFailure ? loadFailure.message : `worker exited (${child.signalCode ?? `code ${child.exitCode}`})`;
      const what = loadFailure?.stage === 'binding' ? 'the whisper.cpp binding' : loadFailure?.stage === 'vad-model' ? `VAD model ${init.vadModelPath}` : `model ${init.modelPath}`;
      reject(new ParascribeError('BACKEND_UNAVAILABLE', `${label}: cannot load ${what}: ${base}${why ? ` (${why})` : ''}`));
    });
  });
  worker.ready.catch(() => {});
  child.send(init);
  return worker;
}

/** Idle workers must not keep the parent alive; busy ones must (a reply is awaited). */
export function holdWorker(worker: WorkerProcess, on: boolean): void {
  const handles = [worker.child, worker.child.channel, worker.child.stderr] as Array<{ ref?: () => void; unref?: () => void } | null | undefined>;
  for (const handle of handles) (on ? handle?.ref : handle?.unref)?.call(handle);
}

/** SIGKILL, then waits (at most 2 s) until the process is gone. */
export async function killWorker(worker: WorkerProcess, reason?: ParascribeError): Promise<void> {
  worker.killedBy ??= reason;
  worker.dead = true;
  holdWorker(worker, true); // an idle worker is unref'd: keep the loop alive until it is gone
  worker.child.kill('SIGKILL');
  await Promise.race([worker.closed, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
}

/** ABORTED, or SEGMENT_TIMEOUT when the signal is a timeout (AbortSignal.timeout, the pipeline's attempt limit). */
export function abortError(signal: AbortSignal, label: string): ParascribeError {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new ParascribeError('SEGMENT_TIMEOUT', `${label}: timed out; worker killed`, { cause: reason });
  }
  return new ParascribeError('ABORTED', `${label}: aborted`, reason === undefined ? {} : { cause: reason });
}
