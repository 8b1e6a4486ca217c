/**
 * `parascribe worker` processes for distributed-mode tests, spawned from the built CLI as an operator
 * would start them; `kill9()` is a real SIGKILL.
 */
import { startCliProcess, type RunningProcess } from './cli.js';

export interface RunningWorker extends RunningProcess {
  /** The name it announces (BullMQ results and heartbeats carry it). */
  name: string;
}

export async function startWorker(env: Record<string, string>, args: string[] = [], startTimeoutMs = 30_000): Promise<RunningWorker> {
  const process = await startCliProcess(['worker', ...args], { PARASCRIBE_CONFIG: '', ...env }, /^worker (\S+) serving/m, startTimeoutMs);
  return { ...process, name: process.ready[1]! };
}
