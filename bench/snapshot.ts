/** The private copy of dist/ that every server of a run is started from (see SNAPSHOT in paths.ts). */
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, SNAPSHOT } from './paths.js';

/** Copies dist/ (without source maps) to SNAPSHOT; `sha1` identifies the build in the report. */
export function snapshotDist(): { dir: string; sha1: string; files: number } {
  const src = join(ROOT, 'dist');
  if (!existsSync(join(src, 'server', 'cli.js'))) throw new Error('dist/server/cli.js is missing: run `npm run build` (npm run bench does)');
  mkdirSync(SNAPSHOT, { recursive: true });
  cpSync(src, join(SNAPSHOT, 'dist'), { recursive: true, filter: (f) => !f.endsWith('.map') });
  copyFileSync(join(ROOT, 'package.json'), join(SNAPSHOT, 'package.json'));
  if (existsSync(join(ROOT, 'web'))) symlinkSync(join(ROOT, 'web'), join(SNAPSHOT, 'web'));
  // The demo bot's definition (read at start, relative to dist/): copied, so the run serves this version.
  if (existsSync(join(ROOT, 'bots'))) cpSync(join(ROOT, 'bots'), join(SNAPSHOT, 'bots'), { recursive: true });
  const hash = createHash('sha1');
  let files = 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.js')) {
        hash.update(p.slice(SNAPSHOT.length)).update(readFileSync(p));
        files++;
      }
    }
  };
  walk(join(SNAPSHOT, 'dist'));
  return { dir: SNAPSHOT, sha1: hash.digest('hex').slice(0, 12), files };
}
