/** Where the benchmark reads from and writes to, and how it shortens those paths in reports. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** .bench/: results (<stamp>.json, latest.json, latest.md), profiles, build snapshots. Gitignored. */
export const OUT_DIR = join(ROOT, '.bench');
export const PROFILE_DIR = join(OUT_DIR, 'profile');
export const GC_HOOK = join(ROOT, 'bench', 'gc-hook.mjs');
/**
 * The working tree is shared (tests and builds of other people rebuild dist/ at any time), so the server
 * is run from a private copy of dist/ taken once at the start: every cell of a run measures the same build.
 */
export const SNAPSHOT = join(OUT_DIR, 'build', `${process.pid}-${Date.now()}`);

/** A script URL or path as the reports show it: relative to the snapshot, node_modules or the repository. */
export function shortUrl(url: string): string {
  if (!url) return '';
  const u = url.replace(/^file:\/\//, '');
  if (u.startsWith(SNAPSHOT)) return u.slice(SNAPSHOT.length + 1);
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) return u.slice(nm + '/node_modules/'.length);
  if (u.startsWith(ROOT)) return u.slice(ROOT.length + 1);
  return u;
}
