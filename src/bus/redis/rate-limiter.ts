import type { RateDecision, RateLimiter } from '../../core/ports/rate-limiter.js';
import type { RedisConnections } from './client.js';
import { Script } from './script.js';

/**
 * One token bucket, refilled continuously by the Redis clock; decided and updated in one atomic step.
 * KEYS: bucket (hash tokens, at) · ARGV: capacity, per second, cost → {1, 0} | {0, ms until enough tokens}
 */
const CONSUME = new Script(`local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or capacity
local at = tonumber(b[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) / 1000 * rate)
local ok = 0
local wait = 0
if tokens >= cost then
  tokens = tokens - cost
  ok = 1
else
  wait = math.ceil((cost - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', string.format('%.3f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return {ok, wait}`);

/**
 * {@link RateLimiter} shared by every node: a user's budget is the same whichever node their messages
 * land on. It cannot decide without asking Redis, so it has no `consumeNow`: the Gate takes its
 * asynchronous path (one round trip per message, pipelined with the rest of the turn's commands).
 */
export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: RedisConnections,
    private readonly capacity: number,
    private readonly perSecond: number,
  ) {}

  async consume(key: string, cost = 1): Promise<RateDecision> {
    const [ok, wait] = (await CONSUME.run(this.redis.cmd, [this.redis.key(`rate:${key}`)], [this.capacity, this.perSecond, cost])) as [number, number];
    return ok === 1 ? { ok: true, retryAfterMs: 0 } : { ok: false, retryAfterMs: Math.max(1, wait) };
  }
}
