// The apps the scenarios spawn come from a copy of dist/ taken when the run starts: other work on
// this machine rebuilds dist/ at any moment, and a dispatcher restarted mid-build would find half a
// build (a scenario once failed on a missing '@vowchat/platform' that tsc-alias had not rewritten
// yet). The copy lives under .run/ so node_modules still resolves from the repository.
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

/** The dist/ the scenarios run: the snapshot when one was taken, else the repository's. */
export function distDir(): string {
  return process.env.CHAOS_DIST_DIR ?? join(ROOT, 'dist');
}

/** Copies dist/ to .run/chaos-dist/<pid> and makes it the one `distDir` names; returns a remover. */
export function snapshotDist(): () => void {
  const source = join(ROOT, 'dist');
  if (!existsSync(join(source, 'apps/dispatcher/src/main.js')))
    throw new Error(`${source} has no build: run npm run build (npm run chaos builds first)`);
  const target = join(ROOT, '.run/chaos-dist', String(process.pid));
  rmSync(target, { recursive: true, force: true });
  cpSync(source, target, { recursive: true });
  process.env.CHAOS_DIST_DIR = target;
  return () => rmSync(target, { recursive: true, force: true });
}
