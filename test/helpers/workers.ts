/**
 * `parascribe worker` processes for distributed-mode tests, spawned from the built CLI as an operator
 * would start them; `kill9()` is a real SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, ROOT } from './cli.js';

export interface RunningWorker {
  name: string;
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill9(): Promise<void>;
}

export async function startWorker(env: Record<string, string>, args: string[] = [], startTimeoutMs = 30_000): Promise<RunningWorker> {
  const child = spawn(process.execPath, [BIN, 'worker', ...args], { cwd: ROOT, env: { ...process.env, PARASCRIBE_CONFIG: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const name = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start: ${stderr}`)), startTimeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const match = /^worker (\S+) serving/m.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code ?? signal}) before serving: ${stderr}`));
    });
  });
  return {
    name,
    child,
    stderr: () => stderr,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
