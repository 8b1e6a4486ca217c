/**
 * Bearer-token auth. Keys are compared by SHA-256 digest (a map lookup on the digest, so no timing
 * leak of the key's bytes); the caller's identity downstream is the digest's prefix, never the key.
 */
import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ParascribeError } from '../../errors.js';

export type AuthEnv = { Variables: { owner: string } };

/** Owner id for `--no-auth` (loopback only). */
export const ANONYMOUS_OWNER = 'anonymous';

export function ownerOfKey(key: string): string {
  return `k_${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
}

export interface AuthOptions {
  /** false: every request is the anonymous owner. */
  enabled: boolean;
  apiKeys: readonly string[];
  /** Paths that need no key (health checks). */
  publicPaths?: readonly string[];
}

export function bearerAuth(options: AuthOptions): MiddlewareHandler<AuthEnv> {
  const owners = new Map(options.apiKeys.map((key) => [createHash('sha256').update(key).digest('hex'), ownerOfKey(key)]));
  const publicPaths = new Set(options.publicPaths ?? []);
  return async (c, next) => {
    if (!options.enabled) {
      c.set('owner', ANONYMOUS_OWNER);
      return next();
    }
    if (publicPaths.has(c.req.path)) return next();
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const owner = match ? owners.get(createHash('sha256').update(match[1]!).digest('hex')) : undefined;
    if (!owner) {
      c.header('WWW-Authenticate', 'Bearer realm="parascribe"');
      throw new ParascribeError('UNAUTHORIZED', match ? 'invalid API key' : 'missing API key: send Authorization: Bearer <key>');
    }
    c.set('owner', owner);
    return next();
  };
}
