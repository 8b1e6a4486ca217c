/**
 * One hop of a URL download: validate the URL, resolve its host ourselves, refuse forbidden
 * addresses, then connect to exactly the addresses that were validated (no second DNS lookup, so no
 * DNS rebinding) while keeping the original host name for the Host header and TLS SNI.
 */
import { promises as dns } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { compileAllowList, isForbiddenAddress, isForbiddenHostname, parseIp } from './address.js';
import { errorCode, fetchFailed, refused } from './failures.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface ValidatedTarget {
  url: URL;
  /** Host name or literal IP, without IPv6 brackets. */
  host: string;
  addresses: ResolvedAddress[];
}

export const systemResolver: Resolver = async (hostname) =>
  (await dns.lookup(hostname, { all: true, verbatim: true })).map((entry) => ({
    address: entry.address,
    family: entry.family === 6 ? 6 : 4,
  }));

/** Rejects with the signal's reason as soon as it aborts (DNS lookups cannot be cancelled). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

async function resolveHost(host: string, resolver: Resolver, signal: AbortSignal): Promise<ResolvedAddress[]> {
  let results: ResolvedAddress[];
  try {
    results = await untilAborted(resolver(host), signal);
  } catch (err) {
    if (signal.aborted) throw err;
    const code = errorCode(err);
    const permanent = code === 'ENOTFOUND' || code === 'ENODATA';
    throw fetchFailed(`could not resolve host ${host}${code ? ` (${code})` : ''}`, { retryable: !permanent, cause: err });
  }
  if (results.length === 0) throw fetchFailed(`could not resolve host ${host}`, { retryable: false });
  return results;
}

/** Checks scheme, credentials, host name and every resolved address of one URL. */
export async function validateTarget(
  url: URL,
  allow: ReturnType<typeof compileAllowList>,
  resolver: Resolver,
  signal: AbortSignal,
): Promise<ValidatedTarget> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw refused(`only http and https URLs can be fetched (got ${url.protocol})`);
  }
  if (url.username !== '' || url.password !== '') throw refused('URLs with credentials (user:password@) are not accepted');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const hostAllowed = allow.allowsHost(host);
  const literal = parseIp(host);
  let addresses: ResolvedAddress[];
  if (literal) {
    addresses = [{ address: host, family: literal.family }];
  } else {
    if (!hostAllowed && isForbiddenHostname(host)) throw refused(`${host} is an internal host name`);
    addresses = await resolveHost(host, resolver, signal);
  }
  if (!hostAllowed) {
    for (const { address } of addresses) {
      if (allow.allowsAddress(address) || !isForbiddenAddress(address)) continue;
      // The resolved address is not echoed: it would let API users map the internal network.
      throw refused(literal ? `${host} is a private or reserved address` : `${host} resolves to a private or reserved address`);
    }
  }
  return { url, host, addresses };
}

/** A `lookup` for http.request that answers only with the validated addresses. */
export function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
    const wanted = family === 4 || family === 6 ? addresses.filter((entry) => entry.family === family) : [...addresses];
    const first = wanted[0];
    if (!first) {
      const err: NodeJS.ErrnoException = new Error('no validated address for this address family');
      err.code = 'ENOTFOUND';
      callback(err, '', 0);
      return;
    }
    if (options.all) callback(null, wanted.map((entry) => ({ address: entry.address, family: entry.family })));
    else callback(null, first.address, first.family);
  };
}

/** Sends the GET; resolves with the response head. Aborting the signal destroys the request (and its body). */
export function sendRequest(target: ValidatedTarget, signal: AbortSignal): Promise<IncomingMessage> {
  const { url, host } = target;
  const secure = url.protocol === 'https:';
  return new Promise<IncomingMessage>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const req = (secure ? https : http).request({
      host,
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      agent: false, // no pooled sockets: every hop connects to the address validated for it
      lookup: pinnedLookup(target.addresses),
      ...(secure && parseIp(host) === null ? { servername: host } : {}),
      headers: { host: url.host, 'user-agent': 'parascribe', accept: '*/*', 'accept-encoding': 'identity' },
    });
    const onAbort = (): void => {
      req.destroy(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('close', () => signal.removeEventListener('abort', onAbort));
    req.on('error', reject); // stays attached: later errors must not become uncaught exceptions
    req.on('response', (res) => {
      res.on('error', () => {}); // surfaced by the body reader
      resolve(res);
    });
    req.end();
  });
}
