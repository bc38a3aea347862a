import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The dashboard (src/ui) built into dist/ui, which the API serves: the shell at `/` and `/ui/<page>`,
 * hashed assets under `/assets/`. Everything is bundled: the page loads nothing from another host.
 */
export default defineConfig({
  root: fileURLToPath(new URL('src/ui', import.meta.url)),
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('dist/ui', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    // Fonts and icons inline as data: URLs or not at all; never a request elsewhere.
    assetsInlineLimit: 8192,
    chunkSizeWarningLimit: 400,
  },
});
