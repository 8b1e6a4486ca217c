/**
 * The per-key queue check before a job's body is read (serve.maxQueuedJobsPerKey): a refusal costs no
 * upload. The unread body is drained up to a bound first, so the client reads the 429 rather than a
 * reset connection (src/server/body-limit/).
 */
import type { Context } from 'hono';
import type { TranscriptionService } from '../../service/service.js';
import type { AuthEnv } from '../auth/index.js';
import { discardBody } from '../body-limit/index.js';

export async function admitOrDrain(c: Context<AuthEnv>, service: TranscriptionService): Promise<void> {
  try {
    service.admit(c.get('owner'));
  } catch (error) {
    await discardBody(c.req.raw.body);
    throw error;
  }
}
