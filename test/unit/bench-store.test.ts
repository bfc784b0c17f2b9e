/**
 * The store benchmark (bench/store.ts): a case runs real group commits in a fresh database in the temp dir,
 * reports positive per-append figures, removes its directory, and the table sets each case beside the same
 * case with the index.
 */
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { expect, test } from 'vitest';
import { formatStore, measureStore } from '../../bench/store.js';

const dirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith('colloquy-bench-store-')).length;

test('a case commits batch × rounds appends, reports per-append CPU and flush time, and leaves nothing behind', async () => {
  const before = dirs();
  const r = await measureStore({ batch: 5, spread: 'random', index: true }, 4);
  expect(r).toMatchObject({ batch: 5, spread: 'random', index: true, appends: 20 });
  expect(r.cpuUs).toBeGreaterThan(0);
  expect(r.sysUs).toBeLessThanOrEqual(r.cpuUs);
  expect(r.flushUs).toBeGreaterThan(0);
  expect(dirs()).toBe(before);
});

test('the table gives each case its median over repetitions and its ratio to the same case with the index', async () => {
  const withIndex = await measureStore({ batch: 3, spread: 'adjacent', index: true }, 2);
  const without = await measureStore({ batch: 3, spread: 'adjacent', index: false }, 2);
  const table = formatStore([withIndex, { ...withIndex, cpuUs: withIndex.cpuUs * 3 }, without]);
  // Two repetitions with the index, 1 × and 3 × the measured figure: their median is 2 ×.
  const ratio = (without.cpuUs / (withIndex.cpuUs * 2)).toFixed(2);
  expect(table).toMatch(/\| 3 \| adjacent \| yes \| [^|]+ \| [^|]+ \| [^|]+ \| 1\.00× \| 2 \|/);
  expect(table).toContain(`| 3 | adjacent | **no** |`);
  expect(table).toContain(`${ratio}×`);
});
