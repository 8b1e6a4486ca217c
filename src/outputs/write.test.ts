import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { isParascribeError } from '../errors.js';
import { assertWritableOutput, writeFileAtomic } from './write.js';

async function scratchDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'parascribe-write-'));
  t.after(async () => {
    await chmod(dir, 0o755).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Asserts the promise rejects with a ParascribeError of `code` whose message names `path`. */
async function rejectsWith(promise: Promise<unknown>, code: string, path: string, reason: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isParascribeError(error), String(error));
    assert.equal(error.code, code);
    assert.ok(error.message.includes(path), error.message);
    assert.match(error.message, reason);
    assert.ok(!error.message.includes('\n'), 'one-line message');
    return true;
  });
}

test('writeFileAtomic writes the content and leaves no temp files', async (t) => {
  const cases = [
    { name: 'plain.txt', content: 'hello\n' },
    { name: 'unicode.md', content: '# Ünïcödé · 日本語\n' },
    { name: 'empty.srt', content: '' },
    // NAME_MAX exactly: the temp file beside it must still fit (it once did not: ENAMETOOLONG).
    { name: `${'l'.repeat(251)}.txt`, content: 'long\n' },
    { name: `${'会'.repeat(83)}.txt`, content: 'cjk\n' },
  ];
  const dir = await scratchDir(t);
  for (const { name, content } of cases) {
    await writeFileAtomic(join(dir, name), content);
    assert.equal(await readFile(join(dir, name), 'utf8'), content, name);
  }
  assert.deepEqual((await readdir(dir)).sort(), cases.map((c) => c.name).sort());
});

test('assertWritableOutput refuses a name over 255 bytes before any work', async (t) => {
  const dir = await scratchDir(t);
  await rejectsWith(assertWritableOutput(join(dir, `${'l'.repeat(253)}.json`)), 'OUTPUT_NOT_WRITABLE', dir, /file name too long/);
});

test('writeFileAtomic replaces an existing file atomically, keeping its mode', async (t) => {
  const dir = await scratchDir(t);
  const target = join(dir, 'out.txt');
  await writeFile(target, 'old content that is longer than the new one\n');
  await chmod(target, 0o640);
  const before = await stat(target);
  await writeFileAtomic(target, 'new\n');
  const after = await stat(target);
  assert.equal(await readFile(target, 'utf8'), 'new\n');
  // A new inode means the file was renamed into place, not truncated and rewritten in place.
  assert.notEqual(after.ino, before.ino);
  assert.equal(after.mode & 0o777, 0o640);
  assert.deepEqual(await readdir(dir), ['out.txt']);
});

test('write failures throw OUTPUT_NOT_WRITABLE and leave nothing behind', async (t) => {
  const dir = await scratchDir(t);
  await mkdir(join(dir, 'taken'));
  await writeFile(join(dir, 'file'), 'x');
  const cases = [
    { name: 'missing directory', target: join(dir, 'missing', 'out.txt'), reason: /directory .*missing does not exist/ },
    { name: 'target is a directory', target: join(dir, 'taken'), reason: /is a directory/ },
    { name: 'parent is a file', target: join(dir, 'file', 'out.txt'), reason: /not a directory/ },
  ];
  for (const { name, target, reason } of cases) {
    await t.test(name, async () => {
      await rejectsWith(writeFileAtomic(target, 'data'), 'OUTPUT_NOT_WRITABLE', target, reason);
      await rejectsWith(assertWritableOutput(target), 'OUTPUT_NOT_WRITABLE', target, reason);
    });
  }
  assert.deepEqual((await readdir(dir)).sort(), ['file', 'taken']);
  assert.deepEqual(await readdir(join(dir, 'taken')), []);
});

test('read-only directory is rejected', async (t) => {
  const dir = await scratchDir(t);
  const locked = join(dir, 'locked');
  await mkdir(locked);
  await chmod(locked, 0o555);
  // Root ignores permission bits: probe before asserting anything.
  const probe = join(locked, 'probe');
  const probeWritten = await writeFile(probe, '').then(() => true, () => false);
  if (probeWritten) {
    await rm(probe, { force: true });
    t.skip('running as root: permission bits not enforced');
    return;
  }
  const target = join(locked, 'out.txt');
  await rejectsWith(assertWritableOutput(target), 'OUTPUT_NOT_WRITABLE', target, /not writable/);
  await rejectsWith(writeFileAtomic(target, 'data'), 'OUTPUT_NOT_WRITABLE', target, /permission denied/);
  assert.deepEqual(await readdir(locked), []);
});

test('assertWritableOutput accepts a new file or an existing regular file', async (t) => {
  const dir = await scratchDir(t);
  await writeFile(join(dir, 'existing.txt'), 'x');
  for (const target of [join(dir, 'new.txt'), join(dir, 'existing.txt')]) {
    await assertWritableOutput(target);
  }
  assert.deepEqual(await readdir(dir), ['existing.txt'], 'the check writes nothing');
});

test('an aborted signal stops the write before the target changes', async (t) => {
  const dir = await scratchDir(t);
  const target = join(dir, 'out.txt');
  await writeFile(target, 'old');
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(writeFileAtomic(target, 'new', { signal: controller.signal }), { code: 'ABORTED' });
  assert.equal(await readFile(target, 'utf8'), 'old');
  assert.deepEqual(await readdir(dir), ['out.txt']);
});
