import type { Entry } from '../model.js';

export type BusMessage =
  /** Entries just appended to a conversation's log, published by the node that wrote them. */
  { readonly kind: 'entries'; readonly node: string; readonly conversationId: string; readonly entries: readonly Entry[] };

export type Unsubscribe = () => void;

/**
 * Pub/sub between nodes. At-most-once and best effort: an optimisation, never the source of truth.
 * A subscriber that sees a gap in `seq` reads the missing entries from the store.
 * Delivery to one subscriber preserves the publish order of one publisher on one topic.
 */
export interface Bus {
  /**
   * True when the bus reaches nobody beyond this process's own hub (a single embedded node): the hub
   * then neither publishes to it nor subscribes, since local delivery is already direct.
   */
  readonly localOnly?: boolean;
  publish(topic: string, message: BusMessage): void;
  subscribe(topic: string, handler: (message: BusMessage) => void): Unsubscribe;
  close(): Promise<void>;
}

export const conversationTopic = (conversationId: string): string => `conv:${conversationId}`;
