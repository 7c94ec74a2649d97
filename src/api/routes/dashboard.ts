// The dashboard's page, script and style (dashboard/ at the package root), read once at start-up
// and served without the token: they hold no data; the page asks the API with the token typed in.
import { readFileSync } from 'node:fs';
import type { ApiPlugin } from '../plugin.js';

const DIR = new URL('../../../dashboard/', import.meta.url);

const FILES: ReadonlyArray<[path: string, file: string, type: string]> = [
  ['/dashboard', 'index.html', 'text/html; charset=utf-8'],
  ['/dashboard/', 'index.html', 'text/html; charset=utf-8'],
  ['/dashboard/app.js', 'app.js', 'text/javascript; charset=utf-8'],
  ['/dashboard/style.css', 'style.css', 'text/css; charset=utf-8'],
];

/** Scripts and styles from this server only: no inline script runs, nothing is fetched elsewhere. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

export const dashboardRoutes: ApiPlugin = async (app) => {
  for (const [path, file, type] of FILES) {
    const body = readFileSync(new URL(file, DIR));
    app.get(path, { config: { public: true }, schema: { hide: true } }, (_req, reply) =>
      reply.header('content-type', type).header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').header('cache-control', 'no-cache').send(body),
    );
  }
};
