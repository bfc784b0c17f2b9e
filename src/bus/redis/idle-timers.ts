import type { ConversationRef } from '../../core/model.js';
import type { Clock } from '../../core/ports/clock.js';
import type { IdleHandler, IdleTimers } from '../../core/ports/idle-timers.js';
import type { Logger } from '../../core/ports/logger.js';
import { silentLogger } from '../../core/ports/logger.js';
import type { RedisConnections } from './client.js';
import { Script } from './script.js';

/** KEYS: due (zset conversation → due ms), data (hash conversation → JSON) · ARGV: conversation, due, JSON. */
const SCHEDULE = new Script(`redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1`);

/**
 * Claim up to ARGV[3] due timers: each is pushed ARGV[2] ms into the future (offered again then unless
 * its handler settles it) and returned with its data. Atomic, so exactly one node claims a timer.
 * ARGV: now, retry ms, limit → {claimed score, conversation, JSON, conversation, JSON, …}
 */
const CLAIM = new Script(`local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local again = tonumber(ARGV[1]) + tonumber(ARGV[2])
local out = {string.format('%.0f', again)}
for _, id in ipairs(ids) do
  local data = redis.call('HGET', KEYS[2], id)
  if data then
    redis.call('ZADD', KEYS[1], again, id)
    table.insert(out, id)
    table.insert(out, data)
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out`);

/** Remove a handled timer, unless it was scheduled again meanwhile (its score moved). ARGV: conversation, claimed score. */
const DONE = new Script(`local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
end
return 1`);

const FORGET = new Script(`redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1`);

export interface RedisIdleTimersOptions {
  /** How often this node looks for due timers. */
  readonly pollMs?: number;
  /** A claimed timer whose handler did not settle (the node died, the store failed) is offered again after this. */
  readonly retryMs?: number;
  readonly log?: Logger;
}

/** Sessions this node scheduled, remembered so that activity in a session does not reschedule it every time. */
const KNOWN_MAX = 100_000;

/**
 * Shared session idle timers: one entry per conversation in a Redis sorted set by due time, polled by
 * every node; a due entry is claimed by exactly one node, whose conversation service re-checks the session
 * under the conversation's lock. So a session ends once, on whichever node claims it — also when the node
 * that started it is gone.
 *
 * Cheap under load: a session is scheduled once (idle time after its first activity) and not on every
 * message; when it comes due early, the service finds the session still active and schedules it again for
 * the time that is really left.
 */
export class RedisIdleTimers implements IdleTimers {
  private readonly known = new Map<string, string>();
  private readonly handling = new Set<string>();
  private readonly keys: [string, string];
  private readonly poller: ReturnType<typeof setInterval>;
  private readonly retryMs: number;
  private readonly log: Logger;
  private polling = false;
  private stopped = false;

  constructor(
    private readonly redis: RedisConnections,
    private readonly clock: Clock,
    private readonly idleMs: number,
    private readonly onIdle: IdleHandler,
    options: RedisIdleTimersOptions = {},
  ) {
    this.keys = [redis.key('idle:due'), redis.key('idle:data')];
    this.retryMs = options.retryMs ?? 30_000;
    this.log = options.log ?? silentLogger;
    this.poller = setInterval(() => void this.poll(), options.pollMs ?? 1000);
    this.poller.unref();
  }

  touch(conversation: ConversationRef, sessionId: string, delayMs = this.idleMs): void {
    const id = conversation.id;
    if (delayMs === this.idleMs && this.known.get(id) === sessionId && !this.handling.has(id)) return;
    this.known.delete(id);
    this.known.set(id, sessionId);
    if (this.known.size > KNOWN_MAX) this.known.delete(this.known.keys().next().value!);
    const data = JSON.stringify({ c: conversation, s: sessionId });
    SCHEDULE.run(this.redis.cmd, this.keys, [id, this.clock.now() + delayMs, data]).catch((err: unknown) =>
      this.log.warn({ err, conversation: id }, 'session.timer_schedule_failed'),
    );
  }

  forget(conversationId: string): void {
    this.known.delete(conversationId);
    FORGET.run(this.redis.cmd, this.keys, [conversationId]).catch(() => {});
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.poller);
    this.known.clear();
  }

  get size(): number {
    return this.known.size;
  }

  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      const out = (await CLAIM.run(this.redis.cmd, this.keys, [this.clock.now(), this.retryMs, 100])) as string[];
      const claimed = out[0]!;
      for (let i = 1; i + 1 < out.length; i += 2) this.fire(out[i]!, out[i + 1]!, claimed);
    } catch (err) {
      this.log.debug({ err }, 'session.timer_poll_failed');
    } finally {
      this.polling = false;
    }
  }

  private fire(id: string, data: string, claimed: string): void {
    const { c, s } = JSON.parse(data) as { c: ConversationRef; s: string };
    this.known.delete(id);
    this.handling.add(id);
    this.onIdle(c, s).then(
      () => {
        this.handling.delete(id);
        DONE.run(this.redis.cmd, this.keys, [id, claimed]).catch(() => {});
      },
      () => {
        // Left as claimed: offered again after retryMs, to this node or another.
        this.handling.delete(id);
      },
    );
  }
}
