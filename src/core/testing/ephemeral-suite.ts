import assert from 'node:assert/strict';
import type { EphemeralStore } from '../ports/ephemeral.js';
import { sleep, type Suite } from './suite.js';

export interface EphemeralCtx {
  readonly kv: EphemeralStore;
}

let i = 0;
const key = () => `kv-test:${process.pid}:${Date.now()}:${++i}`;

/** What every EphemeralStore must do. */
export const ephemeralSuite: Suite<EphemeralCtx> = [
  {
    name: 'put then get; delete removes',
    async run({ kv }) {
      const k = key();
      assert.equal(await kv.get(k), null);
      await kv.put(k, 'v1', 10_000);
      assert.equal(await kv.get(k), 'v1');
      await kv.put(k, 'v2', 10_000);
      assert.equal(await kv.get(k), 'v2');
      await kv.delete(k);
      assert.equal(await kv.get(k), null);
    },
  },
  {
    name: 'values expire after their time to live',
    async run({ kv }) {
      const k = key();
      await kv.put(k, 'v', 60);
      assert.equal(await kv.get(k), 'v');
      await sleep(150);
      assert.equal(await kv.get(k), null);
      assert.equal(await kv.take(k), null);
      assert.equal(await kv.putIfAbsent(k, 'again', 10_000), true);
    },
  },
  {
    name: 'take hands a value to exactly one of many concurrent callers',
    async run({ kv }) {
      const k = key();
      await kv.put(k, 'ticket', 10_000);
      const got = await Promise.all(Array.from({ length: 20 }, () => kv.take(k)));
      assert.deepEqual(got.filter((v) => v !== null), ['ticket']);
      assert.equal(await kv.get(k), null);
    },
  },
  {
    name: 'putIfAbsent succeeds for exactly one of many concurrent callers',
    async run({ kv }) {
      const k = key();
      const won = await Promise.all(Array.from({ length: 20 }, (_, n) => kv.putIfAbsent(k, String(n), 10_000)));
      assert.equal(won.filter(Boolean).length, 1);
      assert.equal(await kv.putIfAbsent(k, 'late', 10_000), false);
    },
  },
];
