/**
 * The benchmark's probe of the disk alone (bench/disk.ts): real writes and syncs in the temp dir, paced at the
 * asked rate, summarised, the share of time beyond the goal counted only past the goal, the file removed.
 */
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { expect, test } from 'vitest';
import { formatDisk, probeDisk } from '../../bench/disk.js';

const probes = () => readdirSync(tmpdir()).filter((n) => n.startsWith('colloquy-bench-disk-')).length;

test('a probe syncs at the asked rate, summarises the latencies and leaves nothing behind', () => {
  const before = probes();
  const d = probeDisk({ scenario: 'open-5000@1000', rep: 2, seconds: 0.25, rate: 200, bytes: 4096, goalMs: 10 });
  expect(d).toMatchObject({ scenario: 'open-5000@1000', rep: 2, syncs: 50, rate: 200, bytes: 4096 });
  expect(d.p50).toBeGreaterThan(0);
  expect(d.p50).toBeLessThanOrEqual(d.p99);
  expect(d.p99).toBeLessThanOrEqual(d.max);
  expect(d.slowSyncs).toBeLessThanOrEqual(d.syncs);
  expect(probes()).toBe(before);
  expect(formatDisk([d, { ...d, rep: 3 }])).toMatch(/\| open-5000@1000 rep 2 \| 50 \|[^\n]*\n\| open-5000@1000 rep 3 \|/);
});

test('only the time past the goal counts: every sync past a goal of 0 ms, none past a goal of a minute', () => {
  const all = probeDisk({ scenario: 's', rep: 1, seconds: 0.1, rate: 200, bytes: 4096, goalMs: 0 });
  expect(all.slowSyncs).toBe(all.syncs);
  expect(all.beyondGoalPct).toBeGreaterThan(0);
  expect(all.beyondGoalPct).toBeLessThanOrEqual(100);
  const none = probeDisk({ scenario: 's', rep: 1, seconds: 0.1, rate: 200, bytes: 4096, goalMs: 60_000 });
  expect(none).toMatchObject({ slowSyncs: 0, beyondGoalPct: 0 });
});
