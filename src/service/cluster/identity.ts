/**
 * An API server's instance id: the name its leases carry. Kept in the data directory, so a server
 * restarted on the same disk is the same instance and resumes its own jobs at once, while a server on
 * another disk (a replacement machine) is a new instance that takes jobs over only once their lease
 * has lapsed. Two servers must therefore never share a data directory.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

const VALID = /^[A-Za-z0-9._-]{1,80}$/;

export function instanceId(dataDir: string): string {
  const path = join(dataDir, 'instance-id');
  try {
    const stored = readFileSync(path, 'utf8').trim();
    if (VALID.test(stored)) return stored;
  } catch {
    // none yet
  }
  const host = hostname().replace(/[^A-Za-z0-9-]/g, '').slice(0, 40) || 'server';
  const id = `${host}-${randomBytes(4).toString('hex')}`;
  mkdirSync(dataDir, { recursive: true });
  try {
    writeFileSync(path, `${id}\n`, { flag: 'wx' });
    return id;
  } catch {
    // Another process wrote it first: that one is this data directory's id.
    return readFileSync(path, 'utf8').trim();
  }
}
