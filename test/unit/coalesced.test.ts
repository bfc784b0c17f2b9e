/** A job that never overlaps itself (src/core/coalesced.ts), as the agents' board and feed use it. */
import { expect, test } from 'vitest';
import { Coalesced } from '../../src/core/coalesced.js';

/** A job whose runs finish when the test says so. */
function gatedJob() {
  const finishers: ((fail?: Error) => void)[] = [];
  let started = 0;
  let overlapping = 0;
  let active = 0;
  const job = () => {
    started += 1;
    active += 1;
    overlapping = Math.max(overlapping, active);
    return new Promise<void>((resolve, reject) =>
      finishers.push((fail) => {
        active -= 1;
        if (fail) reject(fail);
        else resolve();
      }),
    );
  };
  return { job, finish: (fail?: Error) => finishers.shift()!(fail), started: () => started, overlapping: () => overlapping };
}
const tick = () => new Promise((r) => setImmediate(r));

test('asked many times while it runs, it runs once more afterwards, never two at once', async () => {
  const g = gatedJob();
  const c = new Coalesced(g.job, () => {});
  const first = c.run();
  const joined = [c.run(), c.run(), c.run()];
  expect(g.started()).toBe(1);
  g.finish();
  await first;
  // The three asks share the run under way, and one more run follows it.
  await Promise.all(joined);
  await tick();
  expect(g.started()).toBe(2);
  g.finish();
  await tick();
  expect(g.started()).toBe(2);
  expect(g.overlapping()).toBe(1);
});

test('a failed run is reported, and the next ask runs again', async () => {
  const g = gatedJob();
  const errors: unknown[] = [];
  const c = new Coalesced(g.job, (err) => errors.push(err));
  const failing = c.run();
  g.finish(new Error('index unavailable'));
  await failing;
  expect(errors).toEqual([new Error('index unavailable')]);
  const next = c.run();
  expect(g.started()).toBe(2);
  g.finish();
  await next;
  expect(errors).toHaveLength(1);
});
