/**
 * List scheduling in virtual time, the queue discipline of every backend we model: `slots` servers
 * (containers, worker processes), requests served in dispatch order, each taking the first server that
 * is free. Used forwards to predict (service times → completions) and backwards to read history
 * (arrivals + completions → when each request really started being served).
 */

/**
 * Completion time of each request (all dispatched at 0, in order) on `slots` servers. `prepareSec`:
 * a per-job preparation that holds one server from 0 and that every request but the first waits for
 * (model.ts `prepareSec`): the other servers free up at `prepareSec`.
 */
export function listSchedule(servicesSec: readonly number[], slots: number, prepareSec = 0): number[] {
  if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`slots must be an integer ≥ 1, got ${slots}`);
  const freeAtSec: number[] = [];
  return servicesSec.map((serviceSec, i) => {
    const readySec = i === 0 ? 0 : prepareSec;
    if (freeAtSec.length < slots) {
      const doneSec = (freeAtSec.length === 0 ? 0 : prepareSec) + serviceSec;
      freeAtSec.push(doneSec);
      return doneSec;
    }
    const first = indexOfMin(freeAtSec);
    freeAtSec[first] = Math.max(freeAtSec[first]!, readySec) + serviceSec;
    return freeAtSec[first]!;
  });
}

/**
 * When each request started being served, given when it arrived and when it completed (both ordered
 * by arrival), assuming a FIFO queue in front of `slots` servers: a request starts at its arrival or
 * when the first server frees up, whichever is later. A completion earlier than that start means the
 * data contradict this many slots; the server is then taken as busy until the start (service 0).
 */
export function replayServiceStarts(arrivalsSec: readonly number[], completionsSec: readonly number[], slots: number): number[] {
  if (arrivalsSec.length !== completionsSec.length) throw new RangeError('replayServiceStarts: arrivals and completions differ in length');
  if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`slots must be an integer ≥ 1, got ${slots}`);
  const freeAtSec: number[] = [];
  return arrivalsSec.map((arrivalSec, i) => {
    if (freeAtSec.length < slots) {
      freeAtSec.push(Math.max(arrivalSec, completionsSec[i]!));
      return arrivalSec;
    }
    const first = indexOfMin(freeAtSec);
    const startSec = Math.max(arrivalSec, freeAtSec[first]!);
    freeAtSec[first] = Math.max(startSec, completionsSec[i]!);
    return startSec;
  });
}

/** The most requests in flight at once: intervals [start, end), an end before a start at the same instant. */
export function maxOverlap(intervals: ReadonlyArray<{ startSec: number; endSec: number }>): number {
  const events = intervals.flatMap((r) => [
    { atSec: r.startSec, delta: 1 },
    { atSec: r.endSec, delta: -1 },
  ]);
  events.sort((a, b) => a.atSec - b.atSec || a.delta - b.delta);
  let current = 0;
  let most = 0;
  for (const e of events) {
    current += e.delta;
    most = Math.max(most, current);
  }
  return most;
}

function indexOfMin(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! < values[best]!) best = i;
  return best;
}
