/**
 * The open loop's latency timeline (bench/loadgen/run-state.ts): the worst latency of the requests
 * scheduled in each slot, warm-up included, so a report can say where the tail came from.
 */
import { expect, test } from 'vitest';
import { RunState, SLOT_MS } from '../../bench/loadgen/run-state.js';

const sender = { send: () => true };
const pending = (t: number, measured: boolean) => ({ id: t, t, measured, acked: true });

test('each slot keeps the worst latency of the requests scheduled in it', () => {
  const runStart = performance.now() - 10 * SLOT_MS;
  const r = new RunState('open', runStart + 2 * SLOT_MS, runStart + 100 * SLOT_MS, runStart + 100 * SLOT_MS, runStart);
  r.complete(sender, pending(runStart + 1, false)); // warm-up, slot 0
  r.complete(sender, pending(runStart + 5 * SLOT_MS + 1, true)); // slot 5, the newer and so shorter of two
  r.complete(sender, pending(runStart + 5 * SLOT_MS + 2, true));
  const worst = r.worstBySlot;
  expect(worst.length).toBe(6);
  expect(worst[0]).toBeGreaterThanOrEqual(10 * SLOT_MS - 1);
  expect(worst[1]).toBeUndefined();
  expect(worst[5]).toBeGreaterThanOrEqual(5 * SLOT_MS - 1);
  expect(worst[5]).toBeLessThan(worst[0]!);
  // Only the requests scheduled inside the window count towards the percentiles.
  expect(r.latencies.length).toBe(2);
});

test('a closed loop keeps no timeline', () => {
  const now = performance.now();
  const r = new RunState('closed', now - 1000, now + 1000, now + 1000);
  r.complete({ send: () => true }, pending(now - 5, false));
  expect(r.worstBySlot).toEqual([]);
});
