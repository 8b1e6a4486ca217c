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

/** Who an `Authorization` header belongs to; shared by the middleware and the polling fast path. */
export class KeyOwners {
  readonly #byDigest: Map<string, string>;
  /** `Bearer <key>` exactly as clients send it → owner: skips the regex and hash on every poll. */
  readonly #byCanonicalHeader: Map<string, string>;

  constructor(readonly options: Pick<AuthOptions, 'enabled' | 'apiKeys'>) {
    this.#byDigest = new Map(options.apiKeys.map((key) => [createHash('sha256').update(key).digest('hex'), ownerOfKey(key)]));
    this.#byCanonicalHeader = new Map(options.apiKeys.map((key) => [`Bearer ${key}`, ownerOfKey(key)]));
  }

  /** The owner for this header, or undefined when it names no configured key (auth off: anonymous). */
  ownerOf(header: string | undefined): string | undefined {
    if (!this.options.enabled) return ANONYMOUS_OWNER;
    const canonical = header === undefined ? undefined : this.#byCanonicalHeader.get(header);
    if (canonical) return canonical;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    return match ? this.#byDigest.get(createHash('sha256').update(match[1]!).digest('hex')) : undefined;
  }
}

export function bearerAuth(options: AuthOptions, owners = new KeyOwners(options)): MiddlewareHandler<AuthEnv> {
  const publicPaths = new Set(options.publicPaths ?? []);
  return async (c, next) => {
    if (!options.enabled) {
      c.set('owner', ANONYMOUS_OWNER);
      return next();
    }
    if (publicPaths.has(c.req.path)) return next();
    const header = c.req.header('authorization');
    const owner = owners.ownerOf(header);
    if (!owner) {
      c.header('WWW-Authenticate', 'Bearer realm="parascribe"');
      throw new ParascribeError('UNAUTHORIZED', /^Bearer\s+\S/i.test(header ?? '') ? 'invalid API key' : 'missing API key: send Authorization: Bearer <key>');
    }
    c.set('owner', owner);
    return next();
  };
}
