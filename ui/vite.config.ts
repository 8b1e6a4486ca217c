/**
 * The web UI's build: Vite + Preact, from ui/ into dist/ui (served by `parascribe serve` at `/`,
 * src/server/ui.ts). Everything is bundled: no CDN, nothing fetched at runtime, works offline.
 * The manifest marks a finished build for the server.
 */
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: 'public',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    manifest: true,
    target: 'es2022',
    // One small app: a single chunk, no modulepreload polyfill (it would be inline script under the CSP).
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    // `npm run ui:dev`: the API of a `parascribe serve` on :8080 behind Vite's dev server.
    proxy: { '/v1': 'http://127.0.0.1:8080', '/media': 'http://127.0.0.1:8080' },
  },
});
