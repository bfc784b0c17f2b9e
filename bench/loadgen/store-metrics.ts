/** Colloquy's group-commit statistics over the measured window, from two scrapes of its `/metrics`. */
import http from 'node:http';
import type { StoreStats } from './protocol.js';

/** The `colloquy_store_*` series of one scrape: series (with labels) → value. */
export type StoreMetrics = Map<string, number>;

function getText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString()));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** The `colloquy_store_*` series of a Prometheus text page. */
export async function scrapeStore(url: string): Promise<StoreMetrics> {
  const m: StoreMetrics = new Map();
  for (const line of (await getText(url)).split('\n')) {
    if (!line.startsWith('colloquy_store_')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

/** What happened between scrape `a` and scrape `b`, `windowSec` apart. */
export function storeStats(a: StoreMetrics, b: StoreMetrics, windowSec: number): StoreStats {
  const d = (k: string) => (b.get(k) ?? 0) - (a.get(k) ?? 0);
  const commits = d('colloquy_store_commit_seconds_count');
  const commitSec = d('colloquy_store_commit_seconds_sum');
  const appends = d('colloquy_store_batch_size_sum');
  const buckets: Record<string, number> = {};
  let prev = 0;
  for (const k of b.keys()) {
    const le = /^colloquy_store_commit_seconds_bucket\{le="([^"]+)"\}$/.exec(k)?.[1];
    if (!le) continue;
    const cum = d(k);
    buckets[le === '+Inf' ? '+Inf' : `${Number(le) * 1000}ms`] = cum - prev;
    prev = cum;
  }
  return {
    commits,
    commitsPerSec: commits / windowSec,
    appends,
    meanBatch: commits ? appends / commits : NaN,
    meanCommitMs: commits ? (commitSec / commits) * 1000 : NaN,
    commitWallPct: (commitSec / windowSec) * 100,
    commitMsBuckets: buckets,
  };
}
