import assert from 'node:assert/strict';
import type { RateLimiter } from '../ports/rate-limiter.js';
import { sleep, type Suite } from './suite.js';

export interface RateLimiterCtx {
  /** A limiter with this bucket; every call is another node on the same backend (when it has one). */
  limiter(capacity: number, perSecond: number): RateLimiter;
}

let n = 0;
const key = () => `rl-test:${process.pid}:${Date.now()}:${++n}`;

/** What every RateLimiter must do. */
export const rateLimiterSuite: Suite<RateLimiterCtx> = [
  {
    name: 'a burst up to the capacity passes, the next is refused with a retry delay',
    async run(ctx) {
      const limiter = ctx.limiter(5, 1);
      const k = key();
      for (let i = 0; i < 5; i++) assert.deepEqual(await limiter.consume(k), { ok: true, retryAfterMs: 0 }, `message ${i + 1}`);
      const refused = await limiter.consume(k);
      assert.equal(refused.ok, false);
      assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 1000, `retryAfterMs ${refused.retryAfterMs}`);
    },
  },
  {
    name: 'the bucket refills at its rate',
    async run(ctx) {
      const limiter = ctx.limiter(2, 20);
      const k = key();
      assert.ok((await limiter.consume(k)).ok);
      assert.ok((await limiter.consume(k)).ok);
      assert.equal((await limiter.consume(k)).ok, false);
      await sleep(120);
      assert.ok((await limiter.consume(k)).ok, 'no token after 120 ms at 20/s');
    },
  },
  {
    name: 'keys are independent, and a cost takes that many tokens',
    async run(ctx) {
      const limiter = ctx.limiter(3, 1);
      const a = key();
      const b = key();
      assert.ok((await limiter.consume(a, 3)).ok);
      assert.equal((await limiter.consume(a)).ok, false);
      assert.ok((await limiter.consume(b)).ok);
      assert.equal((await limiter.consume(b, 3)).ok, false, 'a cost above what is left');
    },
  },
  {
    name: 'concurrent consumers, on one or many nodes, never get more than the capacity',
    async run(ctx) {
      const nodes = [ctx.limiter(10, 0.001), ctx.limiter(10, 0.001), ctx.limiter(10, 0.001)];
      const k = key();
      const results = await Promise.all(Array.from({ length: 60 }, (_, i) => nodes[i % 3]!.consume(k)));
      assert.equal(results.filter((r) => r.ok).length, 10);
    },
  },
];
