/**
 * Confines a file path given to an MCP tool to the configured roots (`mcp.roots`), so that no MCP
 * client reads `/etc/passwd` or `~/.ssh/id_ed25519` through the server. Three checks, in order:
 *
 *   1. roots are configured at all (none: every path is refused, saying which setting to set);
 *   2. the path as written (absolute, `..` resolved) lies inside a root: a path elsewhere is refused
 *      without touching the filesystem, so the answer says nothing about what exists there;
 *   3. the path with every symbolic link resolved (realpath) still lies inside a root (resolved too):
 *      a link inside a root that points out of it is refused.
 *
 * The resolved path is what is opened (src/service/ingest.ts, without following a final link), so a
 * link swapped in after the check is not followed either.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, resolve, sep } from 'node:path';
import { ParascribeError } from '../errors.js';

export const ROOTS_HINT = 'set mcp.roots in the config file, or PARASCRIBE_MCP_ROOTS (colon- or comma-separated directories)';

/** `path` is `root` or lies under it (both absolute and normalised). */
export function isInside(path: string, root: string): boolean {
  if (path === root) return true;
  return path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}

/** Roots as configured and as their real paths (a root that does not exist is left out of the second). */
async function rootForms(roots: readonly string[]): Promise<{ written: string[]; real: string[] }> {
  const written = roots.map((root) => resolve(root));
  const real = (await Promise.all(written.map((root) => realpath(root).catch(() => undefined)))).filter((root): root is string => root !== undefined);
  return { written, real };
}

/** The real path of `input` when it lies inside one of `roots`; PATH_REFUSED or INPUT_NOT_FOUND otherwise. */
export async function confinePath(input: string, roots: readonly string[]): Promise<string> {
  if (roots.length === 0) throw new ParascribeError('PATH_REFUSED', `file paths are turned off on this server: ${ROOTS_HINT}, or pass a URL`);
  if (input.includes('\0')) throw new ParascribeError('INVALID_ARGUMENT', 'the path contains a NUL character');
  if (!isAbsolute(input)) throw new ParascribeError('INVALID_ARGUMENT', 'the path must be absolute (inside one of the directories of mcp.roots)');
  const { written, real } = await rootForms(roots);
  const lexical = resolve(input);
  // A root may be written through a link (/tmp → /private/tmp): either spelling of it counts here.
  if (!written.some((root) => isInside(lexical, root)) && !real.some((root) => isInside(lexical, root))) {
    throw new ParascribeError('PATH_REFUSED', 'the path is outside the directories this server may read (mcp.roots)');
  }
  let resolved: string;
  try {
    resolved = await realpath(lexical);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new ParascribeError('INPUT_NOT_FOUND', 'no such file');
    throw new ParascribeError('PATH_REFUSED', `the path cannot be resolved (${code ?? 'error'})`);
  }
  if (!real.some((root) => isInside(resolved, root))) {
    throw new ParascribeError('PATH_REFUSED', 'the path leads outside the directories this server may read (mcp.roots): a symbolic link points out of them');
  }
  return resolved;
}
