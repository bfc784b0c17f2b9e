import { randomBytes } from 'node:crypto';
import { CoreError } from '../../core/errors.js';
import { KeyedFifo } from '../../core/keyed-fifo.js';
import type { Logger } from '../../core/ports/logger.js';
import { silentLogger } from '../../core/ports/logger.js';
import type { Lease, Sequencer } from '../../core/ports/sequencer.js';
import type { RedisConnections } from './client.js';
import { LUA_NOW_MS, Script } from './script.js';

export interface RedisSequencerOptions {
  /** This node's id: waiters are woken on `<prefix>wake:<node>` and tokens start with it. */
  readonly node: string;
  /** A holder that stops renewing (it died, or froze) loses the lock after this long. */
  readonly leaseMs: number;
  /** How long a turn waits for its conversation's lock before it fails (retryable). */
  readonly waitMs?: number;
  readonly log?: Logger;
}

/**
 * Take the lock of a conversation, or join its queue. Fair: the lock goes to the waiter at the head of the
 * queue (waiters that stopped asking are dropped from it). The fencing token is the Redis clock in µs,
 * or one more than the last token of this conversation when that is higher: it increases with every
 * lease, and a Redis that lost everything (no persistence) still hands out higher tokens than before.
 *
 * KEYS: lock, queue (list of tokens), waiters (zset token → deadline ms), fence
 * ARGV: token, lease ms, waiter ttl ms → {1, fence} | {0, ms left on the holder's lease}
 */
const ACQUIRE = new Script(`${LUA_NOW_MS}
local token = ARGV[1]
local head = redis.call('LINDEX', KEYS[2], 0)
while head do
  local deadline = redis.call('ZSCORE', KEYS[3], head)
  if deadline and tonumber(deadline) > now then break end
  redis.call('LPOP', KEYS[2])
  redis.call('ZREM', KEYS[3], head)
  head = redis.call('LINDEX', KEYS[2], 0)
end
if redis.call('EXISTS', KEYS[1]) == 0 and ((not head) or head == token) then
  if head then
    redis.call('LPOP', KEYS[2])
    redis.call('ZREM', KEYS[3], token)
  end
  redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
  local micros = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local last = tonumber(redis.call('GET', KEYS[4]) or '0')
  local fence = math.max(micros, last + 1)
  redis.call('SET', KEYS[4], string.format('%.0f', fence), 'PX', 604800000)
  return {1, fence}
end
if not redis.call('ZSCORE', KEYS[3], token) then redis.call('RPUSH', KEYS[2], token) end
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), token)
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[3]) * 4)
redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[3]) * 4)
return {0, redis.call('PTTL', KEYS[1])}`);

/** KEYS: lock · ARGV: token, lease ms → 1 when still held (and extended). */
const RENEW = new Script(`if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`);

/**
 * Release a lock only if it is still ours (compare-and-delete), then wake the node of the next waiter.
 * KEYS: lock, queue · ARGV: token, wake channel prefix, conversation key → 1 when it was ours.
 */
const RELEASE = new Script(`if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
local head = redis.call('LINDEX', KEYS[2], 0)
if head then
  local node = string.match(head, '^(.-)|')
  if node then redis.call('PUBLISH', ARGV[2] .. node, ARGV[3]) end
end
return 1`);

/** KEYS: queue, waiters · ARGV: token — a waiter that gives up leaves the queue. */
const LEAVE = new Script(`redis.call('LREM', KEYS[1], 0, ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1`);

/** A waiter re-asks at least this often (it also refreshes its place in the queue). */
const MAX_POLL_MS = 100;
/** A waiter that has not asked for this long loses its place. */
const WAITER_TTL_MS = 2000;

interface Held {
  readonly token: string;
  since: number;
}

/**
 * {@link Sequencer} across nodes: one turn at a time per conversation in the whole cluster.
 *
 * Within a node, runs of a key queue in memory (FIFO) and only the head of that queue competes for the
 * Redis lock, so a burst from one node costs one waiter in Redis. The lock is `SET NX PX` with a random
 * token, renewed while the turn runs and released by compare-and-delete; a node that dies holding it
 * loses it after `leaseMs`. Waiters queue in Redis in arrival order and are woken by a message to their
 * node when the lock is released (and poll, in case the message is lost). Every lease carries a fencing
 * token that increases per conversation across the cluster; stores refuse writes with a lower token than
 * one they have seen, so a node that froze past its lease cannot write behind the new holder's back.
 */
export class RedisSequencer implements Sequencer {
  /** This node's own turns, one at a time per conversation, before they ask Redis. */
  private readonly fifo = new KeyedFifo();
  private readonly held = new Map<string, Held>();
  private readonly wakers = new Map<string, () => void>();
  private readonly renewer: ReturnType<typeof setInterval>;
  private readonly unsubscribe: () => void;
  private readonly log: Logger;
  private readonly waitMs: number;

  constructor(
    private readonly redis: RedisConnections,
    private readonly options: RedisSequencerOptions,
  ) {
    this.log = options.log ?? silentLogger;
    this.waitMs = options.waitMs ?? 30_000;
    this.unsubscribe = redis.channels.subscribe(redis.key(`wake:${options.node}`), (key) => this.wakers.get(key)?.());
    const every = Math.max(50, Math.floor(options.leaseMs / 4));
    this.renewer = setInterval(() => this.renew(every), every);
    this.renewer.unref();
  }

  run<T>(key: string, fn: (lease: Lease) => Promise<T>): Promise<T> {
    return this.fifo.run(key, () => this.locked(key, fn));
  }

  /** Resolves once nothing runs or waits on this node (shutdown drains turns with it); then leaves Redis. */
  async close(): Promise<void> {
    await this.fifo.drained();
    clearInterval(this.renewer);
    this.unsubscribe();
  }

  private async locked<T>(key: string, fn: (lease: Lease) => Promise<T>): Promise<T> {
    const { token, fence } = await this.acquire(key);
    this.held.set(key, { token, since: Date.now() });
    try {
      return await fn({ fence });
    } finally {
      this.held.delete(key);
      // Not awaited: the next run of this key is sent after it on the same connection.
      RELEASE.run(this.redis.cmd, [this.lockKey(key), this.queueKey(key)], [token, this.redis.key('wake:'), key]).catch((err: unknown) =>
        this.log.warn({ err, conversation: key }, 'sequencer.release_failed'),
      );
    }
  }

  private async acquire(key: string): Promise<{ token: string; fence: number }> {
    const token = `${this.options.node}|${randomBytes(8).toString('hex')}`;
    const keys = [this.lockKey(key), this.queueKey(key), this.waitersKey(key), this.fenceKey(key)];
    const deadline = Date.now() + this.waitMs;
    let pause = 2;
    for (;;) {
      const [got, value] = (await ACQUIRE.run(this.redis.cmd, keys, [token, this.options.leaseMs, WAITER_TTL_MS])) as [number, number];
      if (got === 1) return { token, fence: value };
      if (Date.now() >= deadline) {
        await LEAVE.run(this.redis.cmd, [keys[1]!, keys[2]!], [token]).catch(() => {});
        throw new CoreError('STORE_UNAVAILABLE', 'The conversation is busy; send the message again.');
      }
      // Sleep until woken by the release, the holder's lease runs out, or it is time to ask again.
      await this.sleep(key, value > 0 ? Math.min(pause, value) : pause);
      pause = Math.min(pause * 2, MAX_POLL_MS);
    }
  }

  private sleep(key: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wakers.get(key) === done) this.wakers.delete(key);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.set(key, done);
    });
  }

  /** Extend every lease held for a while; report the ones lost (fencing keeps their late writes out). */
  private renew(every: number): void {
    const now = Date.now();
    for (const [key, h] of this.held) {
      if (now - h.since < every) continue;
      h.since = now;
      RENEW.run(this.redis.cmd, [this.lockKey(key)], [h.token, this.options.leaseMs]).then(
        (ok) => {
          if (ok !== 1 && this.held.get(key) === h) this.log.warn({ conversation: key }, 'sequencer.lease_lost');
        },
        (err: unknown) => this.log.warn({ err, conversation: key }, 'sequencer.renew_failed'),
      );
    }
  }

  private lockKey = (key: string) => this.redis.key(`lock:{${key}}`);
  private queueKey = (key: string) => this.redis.key(`lockq:{${key}}`);
  private waitersKey = (key: string) => this.redis.key(`lockw:{${key}}`);
  private fenceKey = (key: string) => this.redis.key(`fence:{${key}}`);
}
