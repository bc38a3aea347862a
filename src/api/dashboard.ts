import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from './errors.js';

/** The dashboard's pages; each is the same shell, which picks the page from the path. */
export const DASHBOARD_PAGES = ['overview', 'endpoints', 'logs', 'uploads', 'sources', 'alerts'] as const;

/** Where `vite build` writes the dashboard: dist/ui under the package root, from src/ or from dist/src/. */
export function defaultUiDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package.json not found above the server code');
    dir = up;
  }
  return path.join(dir, 'dist', 'ui');
}

/**
 * Serves the dashboard: the shell at `/` and `/ui/<page>` (public: it holds no data, and asks for an
 * API key before it asks the API for anything), its hashed assets under `/assets/`. A missing build
 * answers 503 with the command that makes it, rather than a blank page.
 */
export function dashboardRoutes(uiDir: string): FastifyPluginAsync {
  return async (app) => {
    const shellFile = path.join(uiDir, 'index.html');
    const shell = (): string | null => {
      try {
        return fs.readFileSync(shellFile, 'utf8');
      } catch {
        return null;
      }
    };
    const serveShell = async (req: FastifyRequest, reply: FastifyReply) => {
      const html = shell();
      if (html === null) {
        return sendProblem(reply, req, { status: 503, code: 'dashboard_not_built', detail: 'the dashboard is not built: run `npm run build`' });
      }
      // The shell names the current asset hashes: always revalidate it; the assets themselves never change.
      return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(html);
    };
    const route = { config: { access: 'public' as const }, schema: { hide: true } };
    app.get('/', route, serveShell);
    app.get('/ui/:page', route, async (req, reply) => {
      const { page } = req.params as { page: string };
      if (!(DASHBOARD_PAGES as readonly string[]).includes(page)) {
        return sendProblem(reply, req, { status: 404, code: 'not_found', detail: `no dashboard page ${page}` });
      }
      return serveShell(req, reply);
    });
    const assets = path.join(uiDir, 'assets');
    // Without a build there are no assets to serve; the shell's 503 says what to do.
    if (!fs.existsSync(assets)) return;
    // Vite names each asset by its content hash, so a browser may keep it for good.
    await app.register(fastifyStatic, { root: assets, prefix: '/assets/', decorateReply: false, immutable: true, maxAge: '365d', schemaHide: true });
  };
}
