/**
 * `GET /v1/jobs/:id` answered from the service's view cache without going through the framework.
 * Why: status polling is most of an API's traffic, and on these machines one request through the
 * Hono adapter costs about 0.8 ms of CPU against about 0.3 ms for bare node:http (bench/serve-load.ts)
 * — CPU that comes out of the job being polled. Only a plain hit is answered here: the same key check
 * and the same token bucket as the app, a fresh cached view of the caller's own job. Everything else
 * (no or wrong key, rate limited, query string, cache miss, another owner's job) falls through to the
 * app, which answers exactly as before and fills the cache for the next poll.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TranscriptionService } from '../../service/service.js';
import type { KeyOwners } from '../auth/index.js';
import type { Buckets } from '../rate-limit/index.js';

/**
 * Returns true when it answered the request; false leaves the request untouched for the app. A
 * promise when the bucket lives elsewhere (Redis): the body is not read meanwhile, so the app can still take the request.
 */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

const JOB_PATH = /^\/v1\/jobs\/([A-Za-z0-9_-]{1,64})$/;
export const JOB_ROUTE = '/v1/jobs/:id';

export function pollFastPath(service: TranscriptionService, owners: KeyOwners, buckets: Buckets): FastPath {
  return (req, res) => {
    if (req.method !== 'GET' || !req.url) return false;
    const started = performance.now();
    const match = JOB_PATH.exec(req.url);
    if (!match) return false;
    const owner = owners.ownerOf(req.headers.authorization);
    if (!owner) return false;
    const json = service.freshViewJson(owner, match[1]!);
    if (json === undefined) return false;
    // A refused take() consumes nothing, so the app's own take() refuses the same way and answers 429.
    const answer = (waitMs: number): boolean => {
      if (waitMs > 0) return false;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
      res.end(json);
      service.metrics.httpRequest('GET', JOB_ROUTE, 200, (performance.now() - started) / 1000);
      return true;
    };
    const waitMs = buckets.take(owner);
    return typeof waitMs === 'number' ? answer(waitMs) : waitMs.then(answer, () => false);
  };
}
