/** confinePath: roots required, the path as written inside a root, and still inside once links are resolved. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParascribeError } from '../errors.js';
import { confinePath, isInside } from './roots.js';

const refusedWith = (code: string, pattern?: RegExp) => (error: unknown) => {
  assert.ok(error instanceof ParascribeError, String(error));
  assert.equal(error.code, code, error.message);
  if (pattern) assert.match(error.message, pattern);
  return true;
};

describe('confinePath', () => {
  let base: string;
  let root: string;
  let outside: string;

  before(() => {
    base = realpathSync(mkdtempSync(join(tmpdir(), 'parascribe-roots-')));
    root = join(base, 'root');
    outside = join(base, 'outside');
    mkdirSync(join(root, 'sub'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(root, 'sub', 'talk.wav'), 'x');
    writeFileSync(join(outside, 'secret.wav'), 'x');
    symlinkSync(join(outside, 'secret.wav'), join(root, 'escape.wav'));
    symlinkSync(outside, join(root, 'escape-dir'));
    symlinkSync(join(root, 'sub', 'talk.wav'), join(root, 'alias.wav'));
    // A root written through a link: its files are inside it either way.
    symlinkSync(root, join(base, 'root-link'));
    // A sibling whose name starts like the root's: not inside it.
    mkdirSync(`${root}-evil`);
    writeFileSync(join(`${root}-evil`, 'a.wav'), 'x');
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  test('no roots configured: every path is refused, naming the setting', async () => {
    await assert.rejects(confinePath(join(root, 'sub', 'talk.wav'), []), refusedWith('PATH_REFUSED', /mcp\.roots.*PARASCRIBE_MCP_ROOTS/));
  });

  test('a file inside a root: its real path', async () => {
    assert.equal(await confinePath(join(root, 'sub', 'talk.wav'), [root]), join(root, 'sub', 'talk.wav'));
    assert.equal(await confinePath(join(root, 'sub', '..', 'sub', 'talk.wav'), [root]), join(root, 'sub', 'talk.wav'));
    assert.equal(await confinePath(join(root, 'alias.wav'), [root]), join(root, 'sub', 'talk.wav'), 'a link that stays inside');
    assert.equal(await confinePath(join(base, 'root-link', 'sub', 'talk.wav'), [join(base, 'root-link')]), join(root, 'sub', 'talk.wav'));
    assert.equal(await confinePath(join(root, 'sub', 'talk.wav'), [join(base, 'root-link')]), join(root, 'sub', 'talk.wav'), 'the root given as a link');
  });

  test('outside every root, as written: refused without looking (the file exists or not, the answer is the same)', async () => {
    for (const path of ['/etc/passwd', '/etc/no-such-file', join(outside, 'secret.wav'), join(root, '..', 'outside', 'secret.wav'), join(`${root}-evil`, 'a.wav'), base]) {
      await assert.rejects(confinePath(path, [root]), refusedWith('PATH_REFUSED', /outside the directories/), path);
    }
  });

  test('a symbolic link out of a root is refused', async () => {
    await assert.rejects(confinePath(join(root, 'escape.wav'), [root]), refusedWith('PATH_REFUSED', /symbolic link/));
    await assert.rejects(confinePath(join(root, 'escape-dir', 'secret.wav'), [root]), refusedWith('PATH_REFUSED', /symbolic link/));
  });

  test('relative paths, NUL characters and missing files', async () => {
    await assert.rejects(confinePath('sub/talk.wav', [root]), refusedWith('INVALID_ARGUMENT', /absolute/));
    await assert.rejects(confinePath(`${root}/sub/talk.wav\0.txt`, [root]), refusedWith('INVALID_ARGUMENT', /NUL/));
    await assert.rejects(confinePath(join(root, 'missing.wav'), [root]), refusedWith('INPUT_NOT_FOUND'));
  });

  test('a root that does not exist confines nothing', async () => {
    await assert.rejects(confinePath(join(base, 'gone', 'a.wav'), [join(base, 'gone')]), refusedWith('INPUT_NOT_FOUND'));
    await assert.rejects(confinePath(join(root, 'sub', 'talk.wav'), [join(base, 'gone')]), refusedWith('PATH_REFUSED'));
  });

  test('isInside', () => {
    assert.equal(isInside('/a/b', '/a/b'), true);
    assert.equal(isInside('/a/b/c', '/a/b'), true);
    assert.equal(isInside('/a/bc', '/a/b'), false);
    assert.equal(isInside('/a/b/c', '/'), true);
  });
});
