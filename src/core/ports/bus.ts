import type { Entry } from '../model.js';

export type BusMessage =
  /** Entries just appended to a conversation's log, published by the node that wrote them. */
  | { readonly kind: 'entries'; readonly node: string; readonly conversationId: string; readonly entries: readonly Entry[] }
  /**
   * A device opened a connection (`connectionId`, at `at` epoch ms) on `node`: other nodes close that
   * device's connections of the conversation opened before it (a page holds one socket; an older one is stale).
   */
  | {
      readonly kind: 'device';
      readonly node: string;
      readonly conversationId: string;
      readonly deviceId: string;
      readonly connectionId: string;
      readonly at: number;
    };

export type Unsubscribe = () => void;

/**
 * Pub/sub between nodes. At-most-once and best effort: an optimisation, never the source of truth.
 * A subscriber that sees a gap in `seq` reads the missing entries from the store.
 * Delivery to one subscriber preserves the publish order of one publisher on one topic; consecutive entries
 * messages of one publisher on one topic may arrive merged into one.
 */
export interface Bus {
  /**
   * True when the bus reaches nobody beyond this process's own hub (a single embedded node): the hub
   * then neither publishes to it nor subscribes, since local delivery is already direct.
   */
  readonly localOnly?: boolean;
  publish(topic: string, message: BusMessage): void;
  /**
   * `onSync`, when given, is called once the subscription is active, and again whenever the bus may have
   * lost messages of the topic (it reconnected): the subscriber then reads what it may have missed from
   * the store. A bus that never loses messages and subscribes at once need not call it.
   */
  subscribe(topic: string, handler: (message: BusMessage) => void, onSync?: () => void): Unsubscribe;
  close(): Promise<void>;
}

export const conversationTopic = (conversationId: string): string => `conv:${conversationId}`;
