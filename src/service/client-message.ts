/**
 * The one place that turns an internal error message into what an API client may read. Internal
 * messages name files (`<dataDir>/jobs/<id>/input: truncated audio…`), which is right for the CLI and
 * the server log and wrong for a client: it would learn the server's layout. Every client-facing
 * message (HTTP error bodies, job views, SSE events, webhooks, the OpenAI-compatible door) passes
 * through `clientMessage`: known paths become the name the client knows them by, and any other
 * absolute path becomes "[server path]".
 */

export interface KnownPath {
  /** A file or directory: it and anything under it (`<input>.part`, `<dataDir>/jobs/…`) is replaced. */
  path: string;
  /** What the client calls it: its own filename (quoted), "the upload", or "[server path]". */
  as: string;
}

const PATH_CHARS = String.raw`[^\s'"\`<>()\[\]]*`;

/**
 * An absolute path as it appears in a message: after the start, whitespace or an opening
 * quote/bracket/`=`, optionally ffmpeg's `file:` prefix; a URL's path (`//host/a`) is not one.
 */
const ABSOLUTE_PATH = new RegExp(String.raw`(^|[\s'"\`(\[=<])(?:file:)?\/(?!\/)` + PATH_CHARS, 'g');

/** Trailing punctuation that ends a sentence, not the path (`/x/y: not audio`, `(/x/y).`). */
const TRAILING = /[:;,.!?]+$/;

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Replaces a matched path, keeping the punctuation after it. */
const keepTrailing = (path: string, as: string): string => `${as}${TRAILING.exec(path)?.[0] ?? ''}`;

export function clientMessage(message: string, known: readonly KnownPath[] = []): string {
  let text = message;
  // Longest first, so the more specific name wins (the upload inside the data dir).
  for (const { path, as } of [...known].sort((a, b) => b.path.length - a.path.length)) {
    if (path.length <= 1) continue;
    text = text.replace(new RegExp(`(?:file:)?${escape(path)}${PATH_CHARS}`, 'g'), (match) => keepTrailing(match, as));
  }
  return text.replace(ABSOLUTE_PATH, (match: string, lead: string) => lead + keepTrailing(match.slice(lead.length), '[server path]'));
}

/** How a job's upload is named to its client: its own filename, else "the upload". */
export function uploadLabel(sourceName: string | null | undefined): string {
  return sourceName ? JSON.stringify(sourceName) : 'the upload';
}
