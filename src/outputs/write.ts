/**
 * Writing outputs: atomically (temp file in the same directory, fsync, rename) so a crash or a reader
 * never sees a half-written transcript, and a pre-flight check so a bad `-o` fails before hours of work.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ParascribeError } from '../errors.js';
import { NAME_MAX_BYTES, truncateUtf8 } from './file-name.js';

function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** An OS error in words a user can act on. */
function describe(error: unknown, targetPath: string): string {
  switch (errnoCode(error)) {
    case 'ENOENT':
      return `directory ${dirname(targetPath)} does not exist`;
    case 'ENOTDIR':
      return `a parent of ${targetPath} is not a directory`;
    case 'EISDIR':
      return `${targetPath} is a directory`;
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    case 'ENAMETOOLONG':
      return 'file name too long';
    case 'EIO':
      return 'input/output error';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

function notWritable(targetPath: string, reason: string, cause?: unknown): ParascribeError {
  return new ParascribeError('OUTPUT_NOT_WRITABLE', `cannot write ${targetPath}: ${reason}`, {
    cause,
    details: { path: targetPath },
  });
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ParascribeError('ABORTED', 'aborted', { cause: signal.reason });
}

/** The existing target's permission bits, so replacing a file doesn't silently change its mode. */
async function existingMode(targetPath: string): Promise<number | undefined> {
  try {
    const info = await stat(targetPath);
    return info.isFile() ? info.mode & 0o7777 : undefined;
  } catch {
    return undefined;
  }
}

/** Persists the rename itself; best effort because some platforms can't open or fsync directories. */
async function syncDirectory(directory: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch {
    // The data is already fsynced and renamed; losing only the rename on power loss is acceptable.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Writes `content` (UTF-8) to `targetPath` atomically. Throws OUTPUT_NOT_WRITABLE on failure (ABORTED
 * if `signal` fires first); the temp file never outlives the call.
 */
export async function writeFileAtomic(
  targetPath: string,
  content: string,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  const { signal } = options;
  throwIfAborted(signal);
  const directory = dirname(targetPath);
  // Same directory as the target: rename is only atomic within one file system.
  // The target's name (shortened: a 255-byte name plus a suffix would not fit) then a unique suffix.
  const suffix = `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  const tempPath = join(directory, `.${truncateUtf8(basename(targetPath), NAME_MAX_BYTES - 1 - suffix.length)}${suffix}`);
  let handle: FileHandle | undefined;
  let tempCreated = false;
  try {
    const mode = await existingMode(targetPath);
    handle = await open(tempPath, 'wx', mode ?? 0o666);
    tempCreated = true;
    if (mode !== undefined) await handle.chmod(mode); // open()'s mode is filtered by the umask
    await handle.writeFile(content, { encoding: 'utf8', signal });
    await handle.sync();
    await handle.close();
    handle = undefined;
    throwIfAborted(signal);
    await rename(tempPath, targetPath);
    tempCreated = false;
  } catch (error) {
    await handle?.close().catch(() => undefined);
    if (tempCreated) await rm(tempPath, { force: true }).catch(() => undefined);
    if (error instanceof ParascribeError) throw error;
    if (signal?.aborted) throw new ParascribeError('ABORTED', 'aborted', { cause: error });
    throw notWritable(targetPath, describe(error, targetPath), error);
  }
  await syncDirectory(directory);
}

/**
 * Checks, before any work starts, that `targetPath` could be written: its directory exists and is
 * writable, and the target, if present, is a writable regular file. Throws OUTPUT_NOT_WRITABLE.
 */
export async function assertWritableOutput(targetPath: string): Promise<void> {
  const absolutePath = resolve(targetPath);
  const directory = dirname(absolutePath);
  if (Buffer.byteLength(basename(absolutePath)) > NAME_MAX_BYTES) throw notWritable(targetPath, `file name too long (more than ${NAME_MAX_BYTES} bytes)`);

  let directoryInfo;
  try {
    directoryInfo = await stat(directory);
  } catch (error) {
    throw notWritable(targetPath, describe(error, absolutePath), error);
  }
  if (!directoryInfo.isDirectory()) throw notWritable(targetPath, `${directory} is not a directory`);
  try {
    // W for creating the temp file, X for reaching entries inside it.
    await access(directory, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw notWritable(targetPath, `directory ${directory} is not writable`, error);
  }

  let targetInfo;
  try {
    targetInfo = await stat(absolutePath);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return; // a new file: the directory check is enough
    throw notWritable(targetPath, describe(error, absolutePath), error);
  }
  if (targetInfo.isDirectory()) throw notWritable(targetPath, `${targetPath} is a directory`);
  if (!targetInfo.isFile()) throw notWritable(targetPath, `${targetPath} is not a regular file`);
  try {
    await access(absolutePath, constants.W_OK);
  } catch (error) {
    throw notWritable(targetPath, 'the file is read-only', error);
  }
}
