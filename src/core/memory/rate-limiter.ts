import type { Clock } from '../ports/clock.js';
import type { RateDecision, RateLimiter } from '../ports/rate-limiter.js';
import { systemClock } from './clock.js';

const GRANTED: RateDecision = Object.freeze({ ok: true, retryAfterMs: 0 });

/** In-process token buckets. Idle full buckets are forgotten so memory follows active subjects only. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    private readonly clock: Clock = systemClock,
  ) {}

  async consume(key: string, cost = 1): Promise<RateDecision> {
    return this.consumeNow(key, cost);
  }

  consumeNow(key: string, cost = 1): RateDecision {
    const now = this.clock.now();
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= 100_000) this.forgetFull(now);
      b = { tokens: this.capacity, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.capacity, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    if (b.tokens >= cost) {
      b.tokens -= cost;
      return GRANTED;
    }
    return { ok: false, retryAfterMs: Math.ceil(((cost - b.tokens) / this.perSecond) * 1000) };
  }

  private forgetFull(now: number): void {
    const refill = this.capacity / this.perSecond;
    for (const [k, b] of this.buckets) if ((now - b.at) / 1000 >= refill) this.buckets.delete(k);
  }
}
