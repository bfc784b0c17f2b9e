import type { ConversationRef, ConversationState, Entry, NewEntry, StateSnapshot } from '../model.js';

/** How many of a conversation's newest user-originated entries every store checks for a repeated origin. */
export const DEDUPE_WINDOW = 32;

export interface AppendOptions {
  /** Replace the state row in the same transaction, if its version is still `expectedVersion`. */
  readonly state?: { readonly expectedVersion: number; readonly value: ConversationState };
  /** Fencing token from the sequencer's lease; a write with a token lower than the last one seen is refused. */
  readonly fence?: number;
}

export type AppendResult =
  | { readonly ok: true; readonly entries: readonly Entry[]; readonly version: number }
  /** An entry's `origin` (device + client message id) was already stored: nothing was written. */
  | { readonly ok: false; readonly reason: 'duplicate'; readonly seq: number }
  /** `state.expectedVersion` did not match: nothing was written. */
  | { readonly ok: false; readonly reason: 'conflict' }
  /** A newer fencing token has written to this conversation: nothing was written. */
  | { readonly ok: false; readonly reason: 'fenced' };

export interface MessagePage {
  /** Oldest → newest. */
  readonly entries: readonly Entry[];
  /** Number of message entries (user and bot messages) in the conversation. */
  readonly total: number;
}

/**
 * The per-conversation, append-only log plus a small state row.
 *
 * Guarantees every implementation must give (checked by `core/testing/store-suite`):
 * - `append` is atomic: all entries and the state change are stored, or nothing is.
 * - `seq` is dense and strictly increasing per conversation, starting at 1, in append order.
 * - When `append` resolves `ok`, the write is durable (committed); callers ack only then.
 * - An entry whose `origin` (deviceId + clientMessageId) is already stored among the conversation's newest
 *   {@link DEDUPE_WINDOW} user-originated entries makes the append a `duplicate` (clients re-send within
 *   seconds; an implementation may look further back).
 * - Entries are never rewritten; the state row is replaced only with a matching version.
 */
export interface ConversationStore {
  append(ref: ConversationRef, entries: readonly NewEntry[], options?: AppendOptions): Promise<AppendResult>;
  /** Entries with `seq > afterSeq`, oldest first, at most `limit`. */
  readSince(conversationId: string, afterSeq: number, limit: number): Promise<readonly Entry[]>;
  /**
   * A page of message entries counted from the newest: skip the `offset` newest, then take `limit`,
   * returned oldest → newest.
   */
  readMessages(conversationId: string, page: { readonly offset: number; readonly limit: number }): Promise<MessagePage>;
  getState(conversationId: string): Promise<StateSnapshot>;
  /**
   * The head seq of many conversations at once (0 for unknown ones), for the hub's periodic check of
   * what pub/sub may have lost. Optional: without it the hub asks `getState` one conversation at a time.
   */
  heads?(conversationIds: readonly string[]): Promise<ReadonlyMap<string, number>>;
  close(): Promise<void>;
}
