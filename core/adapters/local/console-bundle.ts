/**
 * The console's page and its bundle, served by the local API server at `/`: `console/main.tsx`
 * (preact, uPlot) bundled by esbuild in memory on the first request and kept for the life of the
 * process. Nothing is fetched from a CDN; everything comes from the package's own dependencies.
 */
import { join, resolve } from 'node:path';
import type { StaticPage } from '#adapters/local/http-server';

/** The console's source directory. */
export const CONSOLE_DIR = resolve(__dirname, '../../../console');

/** The page: a shell that loads the bundle. */
const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Thermocline console</title>
<link rel="stylesheet" href="/console.css">
</head>
<body>
<div id="app"></div>
<script src="/console.js"></script>
</body>
</html>
`;

/** The bundle's files by URL path. */
type Bundle = ReadonlyMap<string, StaticPage>;

/**
 * Bundles the console (JavaScript and CSS) with esbuild, in memory.
 * @example
 * const files = await buildConsole(); files.get('/console.js')?.contentType; // 'text/javascript; charset=utf-8'
 */
export async function buildConsole(): Promise<Bundle> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: { console: join(CONSOLE_DIR, 'main.tsx') },
    bundle: true,
    write: false,
    minify: true,
    format: 'iife',
    target: ['es2020'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: '/console-bundle',
    logLevel: 'silent',
    legalComments: 'none',
  });
  const files = new Map<string, StaticPage>();
  for (const file of result.outputFiles) {
    const name = file.path.slice(file.path.lastIndexOf('/'));
    files.set(name, {
      contentType: name.endsWith('.css')
        ? 'text/css; charset=utf-8'
        : 'text/javascript; charset=utf-8',
      body: file.contents,
    });
  }
  files.set('/', { contentType: 'text/html; charset=utf-8', body: INDEX_HTML });
  files.set('/index.html', { contentType: 'text/html; charset=utf-8', body: INDEX_HTML });
  return files;
}

/**
 * The server's `pages` option: the console's files, built once on the first request (a build
 * error is retried on the next one).
 * @example
 * await startLocalApiServer({ handler, pages: consolePages() });
 */
export function consolePages(): (path: string) => Promise<StaticPage | undefined> {
  let bundle: Promise<Bundle> | undefined;
  return async (path) => {
    if (
      path !== '/' &&
      path !== '/index.html' &&
      path !== '/console.js' &&
      path !== '/console.css'
    ) {
      return undefined;
    }
    bundle ??= buildConsole().catch((error: unknown) => {
      bundle = undefined;
      throw error;
    });
    return (await bundle).get(path);
  };
}
