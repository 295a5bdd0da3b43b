// The page's files, read once at boot and served from memory: the page's own sources (public/,
// copied beside the compiled code by the build) and uPlot's browser build from its package. Only
// these names are served, so no request can name a path. A missing file fails the boot, naming it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The page's own files, in public/. */
export const PAGE_FILES = [
  'index.html',
  'dashboard.css',
  'dashboard.js',
  'api.js',
  'charts.js',
  'format.js',
  'favicon.svg',
];
/** uPlot's files: served under these names, read from the build's copy or else from the package. */
export const UPLOT_FILES = { 'uPlot.esm.js': 'uPlot.esm.js', 'uPlot.min.css': 'uPlot.min.css' } as const;

/** Where the page's files are: next to this module (src/ in development, dist/ after the build). */
export const PUBLIC_DIR = join(__dirname, 'public');

export function loadAssets(publicDir: string = PUBLIC_DIR): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of PAGE_FILES) assets.set(name, asset(join(publicDir, name)));
  for (const [name, file] of Object.entries(UPLOT_FILES)) {
    const copied = join(publicDir, 'vendor', file);
    assets.set(name, asset(existsSync(copied) ? copied : join(uplotDist(), file)));
  }
  return assets;
}

/** node_modules/uplot/dist, found as Node finds the package. */
export function uplotDist(): string {
  return join(dirname(require.resolve('uplot/package.json')), 'dist');
}

function asset(path: string): Asset {
  let body: Buffer;
  try {
    body = readFileSync(path);
  } catch (error) {
    throw new Error(
      `dashboard asset ${path} cannot be read (${(error as Error).message}); run npm run build, which copies the dashboard's files into dist/`,
    );
  }
  const ext = path.slice(path.lastIndexOf('.'));
  return {
    body,
    contentType: TYPES[ext] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`,
  };
}
