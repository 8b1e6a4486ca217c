import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParascribeError } from '../../errors.js';
import { compileAllowList, isForbiddenAddress, isForbiddenHostname, parseIp } from './address.js';

const FORBIDDEN: Array<[string, string]> = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback, end of /8'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', '"this network" /8'],
  ['10.0.0.1', 'private 10/8'],
  ['10.255.255.255', 'private 10/8 end'],
  ['172.16.0.1', 'private 172.16/12 start'],
  ['172.31.255.255', 'private 172.16/12 end'],
  ['192.168.1.1', 'private 192.168/16'],
  ['169.254.169.254', 'cloud metadata'],
  ['169.254.0.1', 'link-local'],
  ['100.64.0.1', 'CGNAT start'],
  ['100.127.255.255', 'CGNAT end'],
  ['192.0.0.170', 'NAT64 discovery / IETF protocol'],
  ['192.0.2.1', 'TEST-NET-1'],
  ['198.18.0.1', 'benchmarking'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast (SSDP)'],
  ['240.0.0.1', 'reserved'],
  ['255.255.255.255', 'broadcast'],
  ['::1', 'IPv6 loopback'],
  ['::', 'IPv6 unspecified'],
  ['0:0:0:0:0:0:0:1', 'IPv6 loopback, long form'],
  ['[::1]', 'IPv6 loopback in URL brackets'],
  ['fc00::1', 'ULA fc00::/7'],
  ['fd12:3456:789a::1', 'ULA fd00::/8'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local with zone id'],
  ['febf:ffff::1', 'link-local fe80::/10 end'],
  ['ff02::1', 'multicast'],
  ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
  ['::ffff:7f00:1', 'IPv4-mapped loopback, hex'],
  ['::ffff:169.254.169.254', 'IPv4-mapped metadata'],
  ['::ffff:10.0.0.1', 'IPv4-mapped private'],
  ['0:0:0:0:0:ffff:a00:1', 'IPv4-mapped private, long hex'],
  ['::127.0.0.1', 'IPv4-compatible (deprecated ::/96)'],
  ['::ffff:0:7f00:1', 'IPv4-translated ::ffff:0:0:0/96'],
  ['64:ff9b::7f00:1', 'NAT64 of loopback'],
  ['64:ff9b::a9fe:a9fe', 'NAT64 of metadata'],
  ['64:ff9b:1::808:808', 'local-use NAT64 64:ff9b:1::/48'],
  ['2002:7f00:1::', '6to4 of loopback'],
  ['2002:a00:1::1', '6to4 of 10.0.0.1'],
  ['2001::1', 'Teredo'],
  ['2001:db8::1', 'documentation'],
  ['100::1', 'discard-only'],
  ['4000::1', 'outside global unicast 2000::/3'],
  ['localhost', 'not a literal IP: fail closed'],
  ['', 'empty'],
  ['127.1', 'non-canonical IPv4: fail closed'],
  ['0x7f.0.0.1', 'hex IPv4: fail closed'],
  ['1.2.3.4.5', 'garbage'],
];

const ALLOWED: Array<[string, string]> = [
  ['8.8.8.8', 'Google DNS'],
  ['1.1.1.1', 'Cloudflare'],
  ['93.184.215.14', 'public'],
  ['172.15.255.255', 'just below 172.16/12'],
  ['172.32.0.0', 'just above 172.16/12'],
  ['100.63.255.255', 'just below CGNAT'],
  ['100.128.0.0', 'just above CGNAT'],
  ['169.253.255.255', 'just below link-local'],
  ['192.167.255.255', 'just below 192.168/16'],
  ['223.255.255.255', 'just below multicast'],
  ['11.0.0.0', 'just above 10/8'],
  ['2606:4700::1', 'Cloudflare IPv6'],
  ['2001:4860:4860::8888', 'Google DNS IPv6'],
  ['::ffff:8.8.8.8', 'IPv4-mapped public'],
  ['64:ff9b::808:808', 'NAT64 of public'],
  ['2002:808:808::1', '6to4 of public'],
];

test('isForbiddenAddress: private, reserved and embedded-private addresses are refused', () => {
  for (const [address, why] of FORBIDDEN) assert.equal(isForbiddenAddress(address), true, `${address} (${why}) must be forbidden`);
});

test('isForbiddenAddress: public addresses are allowed', () => {
  for (const [address, why] of ALLOWED) assert.equal(isForbiddenAddress(address), false, `${address} (${why}) must be allowed`);
});

test('parseIp: IPv6 with embedded IPv4 tail and :: in every position', () => {
  assert.deepEqual(parseIp('::ffff:1.2.3.4')?.bytes, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]);
  assert.deepEqual(parseIp('1::')?.bytes, [0, 1, ...Array<number>(14).fill(0)]);
  assert.deepEqual(parseIp('1:2:3:4:5:6:7:8')?.bytes, [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
  assert.equal(parseIp('1:2:3:4:5:6:7:8:9'), null);
  assert.equal(parseIp('example.com'), null);
});

test('isForbiddenHostname: localhost and metadata names, any case, trailing dot', () => {
  for (const name of ['localhost', 'LOCALHOST', 'a.localhost', 'metadata.google.internal', 'Metadata.Google.Internal.', 'metadata', 'foo.internal', 'printer.local', 'nas.home.arpa']) {
    assert.equal(isForbiddenHostname(name), true, name);
  }
  for (const name of ['example.com', 'metadata.example.com', 'localhost.example.com', 'internal.example.org']) {
    assert.equal(isForbiddenHostname(name), false, name);
  }
});

test('compileAllowList: CIDRs, bare IPs and host names; bad entries are a config error', () => {
  const allow = compileAllowList(['127.0.0.1/32', '::1/128', '10.1.0.0/16', '192.168.5.5', 'Audio.Test.']);
  assert.equal(allow.allowsAddress('127.0.0.1'), true);
  assert.equal(allow.allowsAddress('127.0.0.2'), false, '/32 is exact');
  assert.equal(allow.allowsAddress('::1'), true);
  assert.equal(allow.allowsAddress('10.1.200.3'), true);
  assert.equal(allow.allowsAddress('10.2.0.1'), false);
  assert.equal(allow.allowsAddress('192.168.5.5'), true);
  assert.equal(allow.allowsAddress('::ffff:127.0.0.1'), true, 'mapped form of an allowed IPv4 address');
  assert.equal(allow.allowsAddress('169.254.169.254'), false);
  assert.equal(allow.allowsHost('audio.test'), true);
  assert.equal(allow.allowsHost('other.test'), false);
  assert.equal(compileAllowList().allowsAddress('127.0.0.1'), false, 'default: nothing allowed');
  for (const bad of ['10.0.0.0/33', '::1/129', 'example.com/path', '1.2.3.4/x', '']) {
    assert.throws(() => compileAllowList([bad]), (err: unknown) => err instanceof ParascribeError && err.code === 'INVALID_CONFIG', bad);
  }
});
