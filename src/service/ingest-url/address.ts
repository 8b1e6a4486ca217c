/**
 * Address policy for URL ingestion (SSRF protection): which IP addresses and host names the server
 * must never fetch from, and the operator's allow list that can override it.
 *
 * Parsing is done here rather than with `net.BlockList` so that embedded IPv4 addresses (IPv4-mapped,
 * NAT64, 6to4) can be unwrapped and judged by the IPv4 rules.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { ParascribeError } from '../../errors.js';

export interface ParsedIp {
  family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  bytes: number[];
}

interface Cidr extends ParsedIp {
  bits: number;
}

/** Strips `[...]` (URL form) and an IPv6 zone id (`fe80::1%eth0`). */
function bareAddress(address: string): string {
  let text = address.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone !== -1 && text.includes(':')) text = text.slice(0, zone);
  return text;
}

function parseIPv4(text: string): number[] | null {
  // net.isIPv4 accepts only canonical dotted decimal (no octal, hex or short forms).
  if (!isIPv4(text)) return null;
  return text.split('.').map(Number);
}

function parseIPv6(text: string): number[] | null {
  if (!isIPv6(text)) return null;
  let hex = text;
  if (hex.includes('.')) {
    const cut = hex.lastIndexOf(':');
    const v4 = parseIPv4(hex.slice(cut + 1));
    if (!v4) return null;
    hex = `${hex.slice(0, cut + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = hex.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...tail];
  const bytes: number[] = [];
  for (const group of groups) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return null;
    const value = parseInt(group, 16);
    bytes.push(value >> 8, value & 0xff);
  }
  return bytes;
}

/** Parses a literal IPv4 or IPv6 address (brackets and zone ids tolerated); null if it is not one. */
export function parseIp(address: string): ParsedIp | null {
  const text = bareAddress(address);
  const v4 = parseIPv4(text);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseIPv6(text);
  return v6 ? { family: 6, bytes: v6 } : null;
}

function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const ip = parseIp(slash === -1 ? text : text.slice(0, slash));
  if (!ip) return null;
  const max = ip.family === 4 ? 32 : 128;
  if (slash === -1) return { ...ip, bits: max };
  const bitsText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText)) return null;
  const bits = Number(bitsText);
  return bits <= max ? { ...ip, bits } : null;
}

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed) throw new Error(`bad built-in CIDR ${text}`);
  return parsed;
}

function inCidr(ip: ParsedIp, range: Cidr): boolean {
  if (ip.family !== range.family) return false;
  for (let bit = 0; bit < range.bits; bit += 8) {
    const left = Math.min(8, range.bits - bit);
    const mask = (0xff << (8 - left)) & 0xff;
    const i = bit / 8;
    if ((ip.bytes[i]! & mask) !== (range.bytes[i]! & mask)) return false;
  }
  return true;
}

/** IANA special-purpose IPv4 blocks that must not be fetched. */
const FORBIDDEN_V4 = [
  '0.0.0.0/8', // "this network", unspecified
  '10.0.0.0/8', // private
  '100.64.0.0/10', // carrier-grade NAT
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local, incl. cloud metadata 169.254.169.254
  '172.16.0.0/12', // private
  '192.0.0.0/24', // IETF protocol assignments (incl. 192.0.0.170 NAT64 discovery)
  '192.0.2.0/24', // TEST-NET-1
  '192.88.99.0/24', // 6to4 relay anycast (deprecated)
  '192.168.0.0/16', // private
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24', // TEST-NET-2
  '203.0.113.0/24', // TEST-NET-3
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, incl. broadcast 255.255.255.255
].map(cidr);

/** Only 2000::/3 is allocated global unicast; everything outside it (::/8, fc00::/7, fe80::/10, ff00::/8, ...) is refused. */
const GLOBAL_UNICAST_V6 = cidr('2000::/3');
const FORBIDDEN_V6 = [
  '2001::/32', // Teredo (tunnels to an obfuscated IPv4 address)
  '2001:10::/28', // ORCHID
  '2001:20::/28', // ORCHIDv2
  '2001:db8::/32', // documentation
  '3fff::/20', // documentation
].map(cidr);

const MAPPED_V6 = cidr('::ffff:0:0/96');
const NAT64_V6 = cidr('64:ff9b::/96');
const SIX_TO_FOUR_V6 = cidr('2002::/16');

/** The IPv4 address an IPv6 address stands for (IPv4-mapped, NAT64 well-known prefix, 6to4), if any. */
export function embeddedIPv4(ip: ParsedIp): ParsedIp | null {
  if (ip.family !== 6) return null;
  if (inCidr(ip, MAPPED_V6) || inCidr(ip, NAT64_V6)) return { family: 4, bytes: ip.bytes.slice(12, 16) };
  if (inCidr(ip, SIX_TO_FOUR_V6)) return { family: 4, bytes: ip.bytes.slice(2, 6) };
  return null;
}

function forbiddenParsed(ip: ParsedIp): boolean {
  if (ip.family === 4) return FORBIDDEN_V4.some((range) => inCidr(ip, range));
  const v4 = embeddedIPv4(ip);
  if (v4) return forbiddenParsed(v4);
  if (!inCidr(ip, GLOBAL_UNICAST_V6)) return true;
  return FORBIDDEN_V6.some((range) => inCidr(ip, range));
}

/**
 * True if the server must not connect to this address: loopback, unspecified, private, link-local,
 * CGNAT, multicast, reserved, documentation, and IPv6 forms that embed such an IPv4 address.
 * Anything that is not a literal IP address is refused too (fail closed).
 */
export function isForbiddenAddress(address: string): boolean {
  const ip = parseIp(address);
  return ip ? forbiddenParsed(ip) : true;
}

/** Lower-cased host name without trailing dots (`Metadata.Google.Internal.` → `metadata.google.internal`). */
export function normalizeHostname(hostname: string): string {
  return bareAddress(hostname).toLowerCase().replace(/\.+$/, '');
}

const FORBIDDEN_NAMES = new Set(['localhost', 'metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data']);
const FORBIDDEN_SUFFIXES = ['.localhost', '.internal', '.local', '.home.arpa', '.metadata.goog'];

/** Names that point at the machine itself, a cloud metadata service or a private network by convention. */
export function isForbiddenHostname(hostname: string): boolean {
  const name = normalizeHostname(hostname);
  return FORBIDDEN_NAMES.has(name) || FORBIDDEN_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

export interface AllowList {
  /** The host name was listed: skip every address check for it. */
  allowsHost(hostname: string): boolean;
  /** The address lies in a listed CIDR (an IPv4-mapped IPv6 address also matches IPv4 entries). */
  allowsAddress(address: string): boolean;
}

/** Entries are host names, IP addresses or CIDRs (`127.0.0.1/32`, `::1/128`). */
export function compileAllowList(entries: readonly string[] = []): AllowList {
  const hosts = new Set<string>();
  const ranges: Cidr[] = [];
  for (const entry of entries) {
    const text = entry.trim();
    const range = parseCidr(text);
    if (range) ranges.push(range);
    else if (text.includes('/') || text === '' || /[\s@?#\\]/.test(text)) {
      throw new ParascribeError('INVALID_CONFIG', `URL allow list entry ${JSON.stringify(entry)} is neither a host name nor a CIDR`);
    } else hosts.add(normalizeHostname(text));
  }
  return {
    allowsHost: (hostname) => hosts.has(normalizeHostname(hostname)),
    allowsAddress(address) {
      const ip = parseIp(address);
      if (!ip) return false;
      const mapped = ip.family === 6 && inCidr(ip, MAPPED_V6) ? embeddedIPv4(ip) : null;
      return ranges.some((range) => inCidr(ip, range) || (mapped !== null && inCidr(mapped, range)));
    },
  };
}
