import type { Bus, BusMessage, Unsubscribe } from '../../core/ports/bus.js';
import type { RedisConnections } from './client.js';

export interface RedisBusOptions {
  /**
   * This node's id: its own messages come back from Redis (it subscribes to the conversations it
   * publishes to) and are dropped before they are parsed. Leave it out to receive everything.
   */
  readonly node?: string;
}

/**
 * {@link Bus} over Redis pub/sub: a topic is a channel (`<prefix>bus:<topic>`), subscribed on the node's one
 * pub/sub connection while a local subscriber wants it. At most once, like the port says: a message
 * published while a subscriber's connection is down is lost — the subscriber learns it through `onSync`
 * and reads the store.
 *
 * A payload is `<node>|<json>`. Messages published in one turn of the event loop go out together, and an
 * entries message that directly follows another of the same topic is merged into it (a turn's user
 * message and its answer travel as one message).
 */
export class RedisBus implements Bus {
  private pending: { channel: string; message: BusMessage }[] = [];
  private flushing = false;
  private closed = false;

  constructor(
    private readonly redis: RedisConnections,
    private readonly options: RedisBusOptions = {},
  ) {}

  publish(topic: string, message: BusMessage): void {
    if (this.closed) return;
    const channel = this.redis.key(`bus:${topic}`);
    const last = this.pending.at(-1);
    if (last && last.channel === channel && last.message.kind === 'entries' && message.kind === 'entries' && last.message.node === message.node) {
      last.message = { ...last.message, entries: [...last.message.entries, ...message.entries] };
    } else {
      this.pending.push({ channel, message });
    }
    if (!this.flushing) {
      this.flushing = true;
      process.nextTick(this.flush);
    }
  }

  subscribe(topic: string, handler: (message: BusMessage) => void, onSync?: () => void): Unsubscribe {
    const own = this.options.node === undefined ? undefined : `${this.options.node}|`;
    return this.redis.channels.subscribe(
      this.redis.key(`bus:${topic}`),
      (payload) => {
        if (own !== undefined && payload.startsWith(own)) return;
        const bar = payload.indexOf('|');
        handler(JSON.parse(payload.slice(bar + 1)) as BusMessage);
      },
      onSync,
    );
  }

  /** Stops publishing; the connections belong to the node (closed with the other Redis engines). */
  async close(): Promise<void> {
    this.flush();
    this.closed = true;
  }

  private readonly flush = (): void => {
    this.flushing = false;
    const batch = this.pending;
    this.pending = [];
    for (const { channel, message } of batch) {
      // Best effort: a publish that fails (Redis down) is what the subscribers' onSync and the hub's heal cover.
      this.redis.cmd.publish(channel, `${message.node}|${JSON.stringify(message)}`).catch(() => {});
    }
  };
}
