import type { Redis } from 'ioredis';
import type { Logger } from '../../core/ports/logger.js';

type Handler = (payload: string) => void;

interface Channel {
  readonly handlers: Set<Handler>;
  readonly syncs: Set<() => void>;
  /** The SUBSCRIBE for this channel was confirmed (since the last reconnect). */
  active: boolean;
}

/**
 * Channel subscriptions of one node on its single pub/sub connection, reference-counted: the first
 * handler of a channel subscribes it, the last one to leave unsubscribes it. `onSync` callbacks run once
 * a channel's subscription is confirmed, and again for every channel after the connection was lost and
 * re-established — whatever was published meanwhile was missed, and subscribers must catch up.
 */
export class Channels {
  private readonly channels = new Map<string, Channel>();
  private closed = false;

  constructor(
    private readonly sub: Redis,
    private readonly log: Logger,
  ) {
    sub.on('message', (channel: string, payload: string) => {
      const c = this.channels.get(channel);
      if (!c) return;
      for (const h of c.handlers) {
        try {
          h(payload);
        } catch (err) {
          this.log.error({ err, channel }, 'redis.handler_failed');
        }
      }
    });
    sub.on('ready', () => this.resubscribe());
    sub.on('close', () => {
      for (const c of this.channels.values()) c.active = false;
    });
  }

  subscribe(channel: string, handler: Handler, onSync?: () => void): () => void {
    let c = this.channels.get(channel);
    if (!c) {
      c = { handlers: new Set(), syncs: new Set(), active: false };
      this.channels.set(channel, c);
      this.confirm(channel, c);
    } else if (c.active && onSync) {
      queueMicrotask(onSync);
    }
    // One entry per subscription, even when the same function subscribes twice.
    const h: Handler = (p) => handler(p);
    c.handlers.add(h);
    if (onSync) c.syncs.add(onSync);
    return () => {
      const now = this.channels.get(channel);
      if (now !== c) return;
      c.handlers.delete(h);
      if (onSync) c.syncs.delete(onSync);
      if (c.handlers.size > 0) return;
      this.channels.delete(channel);
      if (!this.closed && this.sub.status === 'ready') this.sub.unsubscribe(channel).catch((err: unknown) => this.log.debug({ err, channel }, 'redis.unsubscribe_failed'));
    };
  }

  get size(): number {
    return this.channels.size;
  }

  close(): void {
    this.closed = true;
    this.channels.clear();
  }

  private confirm(channel: string, c: Channel): void {
    // While disconnected, the next 'ready' subscribes every channel.
    if (this.closed || this.sub.status !== 'ready') return;
    this.sub.subscribe(channel).then(
      () => {
        if (this.channels.get(channel) !== c) return;
        c.active = true;
        for (const s of [...c.syncs]) s();
      },
      (err: unknown) => {
        // Offline: the reconnect subscribes it again and reports the sync then.
        this.log.debug({ err, channel }, 'redis.subscribe_failed');
      },
    );
  }

  /** (Re)connected: subscribe every channel again; each reports in sync once confirmed. */
  private resubscribe(): void {
    for (const [channel, c] of this.channels) if (!c.active) this.confirm(channel, c);
  }
}
