/**
 * The web UI (ui/, built by Vite into dist/ui by `npm run build`) served at `/`. It is a client of
 * the public API only. Every UI response carries a strict Content-Security-Policy: scripts and styles
 * from this origin only (no inline script at all; inline style only with the per-response nonce, which
 * the waveform's shadow DOM needs), connections and media to this origin, no framing, no plugins.
 * Only the files present in the build at startup are served (no path ever reaches the filesystem).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono, type Context } from 'hono';
import type { AuthEnv } from './auth/index.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** The placeholder in ui/index.html that each response replaces with its nonce. */
export const NONCE_PLACEHOLDER = '__CSP_NONCE__';

export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "media-src 'self'",
    "connect-src 'self'",
    "font-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers of every UI response (the page's CSP needs the nonce; assets get one that allows nothing inline). */
export function securityHeaders(nonce: string): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(nonce),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
  };
}

/**
 * Where the built UI is: dist/ui beside the compiled server (dist/src/server → dist/ui), or, when the
 * server runs from source (tsx), the repository's dist/ui. A build is recognised by Vite's manifest,
 * so the source folder ui/ is never served by mistake.
 */
export function findUiDir(): string | undefined {
  const candidates = [new URL('../../dist/ui/', import.meta.url), new URL('../../ui/', import.meta.url)].map((url) => fileURLToPath(url));
  return candidates.find((dir) => existsSync(join(dir, '.vite', 'manifest.json')) && existsSync(join(dir, 'index.html')));
}

interface StaticFile {
  body: Buffer;
  type: string;
}

function listFiles(dir: string, prefix = ''): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.name.startsWith('.')) continue;
    if (entry.isDirectory()) for (const [name, file] of listFiles(dir, relative)) files.set(name, file);
    else if (entry.isFile() && TYPES[extname(entry.name)]) files.set(relative, { body: readFileSync(join(dir, relative)), type: TYPES[extname(entry.name)]! });
  }
  return files;
}

export function uiRoutes(dir: string | undefined = findUiDir()): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  if (!dir) {
    app.get('/', (c) => c.text('The web UI is not built: run `npm run build` in the parascribe directory (the API is at /v1, documented at /openapi.json).\n', 404));
    return app;
  }
  const files = listFiles(dir);
  const page = files.get('index.html')!.body.toString('utf8');
  const sendPage = (c: Context<AuthEnv>) => {
    const nonce = randomBytes(16).toString('base64');
    return c.body(page.replaceAll(NONCE_PLACEHOLDER, nonce), 200, { 'Content-Type': TYPES['.html']!, 'Cache-Control': 'no-store', ...securityHeaders(nonce) });
  };
  app.get('/', sendPage);
  app.get('/index.html', sendPage);
  app.get('/*', async (c, next) => {
    const file = files.get(c.req.path.slice(1));
    if (!file || c.req.path === '/index.html') return next();
    // Hashed asset names never change content: cache them for a year.
    const cache = c.req.path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    return c.body(new Uint8Array(file.body), 200, { 'Content-Type': file.type, 'Cache-Control': cache, ...securityHeaders(randomBytes(16).toString('base64')) });
  });
  return app;
}
