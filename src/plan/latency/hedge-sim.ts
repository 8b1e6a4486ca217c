/**
 * One job in virtual time on a scale-to-zero backend, with hedging: the predictor's model of what
 * src/pipeline/hedge.ts does against an endpoint like test/fakes/serverless-sim.ts. Pure and
 * deterministic: every random draw comes in through `HedgedJobInput`.
 *
 * - Up to `servers` servers. A request takes an idle server; else, below `servers`, it starts a new
 *   one and waits for its boot (`bootSec[i]` for the i-th server started); else it queues (FIFO).
 * - The client keeps at most `concurrency` originals in flight; hedges do not count against it.
 * - An original still unanswered `hedgeAfterSec[i]` after its dispatch gets a duplicate, while the
 *   duplicated audio stays within `hedgeBudgetAudioSec`. The first copy to finish wins; the other is
 *   cancelled: out of the queue if waiting, its server handed on after the boot if booting, and at
 *   once (with the compute it had spent counted as extra) if running.
 */

export interface HedgedJobInput {
  servers: number;
  concurrency: number;
  /** Per segment, in dispatch order: warm service time (overhead + compute). */
  serviceSec: readonly number[];
  /** Per segment: the compute part of its service time (it comes last). */
  computeSec: readonly number[];
  audioSec: readonly number[];
  /** Boot time of the i-th server started (0: warm). */
  bootSec: readonly number[];
  /** Per segment: extra delay when a later request finds a cold server anyway (0 mostly). */
  laterColdSec?: readonly number[];
  /** Per segment: seconds after dispatch to hedge it; undefined: never. */
  hedgeAfterSec: ReadonlyArray<number | undefined>;
  hedgeBudgetAudioSec: number;
}

export interface HedgedJobResult {
  /** When each segment's first copy finished. */
  completionsSec: number[];
  hedges: number;
  hedgesWon: number;
  /** Compute spent by cancelled copies. */
  extraComputeSec: number;
}

interface Request {
  segment: number;
  hedge: boolean;
  state: 'queued' | 'booting' | 'running' | 'finished' | 'cancelled';
  server?: Server;
  bootEndSec: number;
  computeStartSec: number;
}

interface Server {
  busy: boolean;
}

interface SimEvent {
  atSec: number;
  order: number;
  run: () => void;
}

export function simulateHedgedJob(input: HedgedJobInput): HedgedJobResult {
  const n = input.serviceSec.length;
  const events: SimEvent[] = [];
  let order = 0;
  let nowSec = 0;
  const at = (atSec: number, run: () => void) => {
    const event = { atSec, order: order++, run };
    // Few events (a few per segment): sorted insertion keeps this simple.
    let i = events.length;
    while (i > 0 && (events[i - 1]!.atSec > atSec || (events[i - 1]!.atSec === atSec && events[i - 1]!.order > event.order))) i--;
    events.splice(i, 0, event);
  };
  const servers: Server[] = [];
  const queue: Request[] = [];
  const copies: Request[][] = Array.from({ length: n }, () => []);
  const completionsSec = new Array<number>(n).fill(NaN);
  const result = { hedges: 0, hedgesWon: 0, extraComputeSec: 0 };
  let hedgedAudioSec = 0;
  let dispatched = 0;
  let inFlight = 0;

  const start = (server: Server, request: Request, bootSec: number) => {
    server.busy = true;
    request.server = server;
    request.state = bootSec > 0 ? 'booting' : 'running';
    request.bootEndSec = nowSec + bootSec;
    const segment = request.segment;
    const extraSec = request.hedge ? 0 : (input.laterColdSec?.[segment] ?? 0);
    const endSec = request.bootEndSec + extraSec + input.serviceSec[segment]!;
    request.computeStartSec = endSec - input.computeSec[segment]!;
    if (bootSec > 0) at(request.bootEndSec, () => (request.state === 'cancelled' ? release(server) : void (request.state = 'running')));
    at(endSec, () => finish(request));
  };
  const release = (server: Server) => {
    const next = queue.shift();
    if (next) start(server, next, 0);
    else server.busy = false;
  };
  const arrive = (request: Request) => {
    copies[request.segment]!.push(request);
    const idle = servers.find((s) => !s.busy);
    if (idle) return start(idle, request, 0);
    if (servers.length < input.servers) {
      const server = { busy: false };
      servers.push(server);
      return start(server, request, input.bootSec[servers.length - 1] ?? 0);
    }
    queue.push(request);
  };
  const cancel = (request: Request) => {
    if (request.state === 'queued') queue.splice(queue.indexOf(request), 1);
    else if (request.state === 'running') {
      result.extraComputeSec += Math.max(0, Math.min(input.computeSec[request.segment]!, nowSec - request.computeStartSec));
      release(request.server!);
    } // booting: the server is handed on when its boot ends
    if (request.state !== 'finished') request.state = 'cancelled';
  };
  const finish = (request: Request) => {
    if (request.state === 'cancelled') return;
    request.state = 'finished';
    release(request.server!);
    const segment = request.segment;
    if (!Number.isNaN(completionsSec[segment]!)) return;
    completionsSec[segment] = nowSec;
    if (request.hedge) result.hedgesWon++;
    for (const other of copies[segment]!) if (other !== request) cancel(other);
    inFlight--;
    dispatchMore();
  };
  const dispatchMore = () => {
    while (inFlight < input.concurrency && dispatched < n) {
      const segment = dispatched++;
      inFlight++;
      arrive({ segment, hedge: false, state: 'queued', bootEndSec: 0, computeStartSec: 0 });
      const afterSec = input.hedgeAfterSec[segment];
      if (afterSec === undefined) continue;
      at(nowSec + afterSec, () => {
        const audioSec = input.audioSec[segment]!;
        if (!Number.isNaN(completionsSec[segment]!) || hedgedAudioSec + audioSec > input.hedgeBudgetAudioSec + 1e-9) return;
        hedgedAudioSec += audioSec;
        result.hedges++;
        arrive({ segment, hedge: true, state: 'queued', bootEndSec: 0, computeStartSec: 0 });
      });
    }
  };

  dispatchMore();
  while (events.length > 0) {
    const event = events.shift()!;
    nowSec = event.atSec;
    event.run();
  }
  return { completionsSec, ...result };
}
