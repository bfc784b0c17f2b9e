import type { ConversationRef, ConversationState } from '../../core/model.js';
import { DEDUPE_WINDOW } from '../../core/ports/store.js';

export { decodeAppend, encodeAppend, isMessage, originKey } from '../shared/entries-json.js';

/**
 * The newest {@link DEDUPE_WINDOW} origins of a conversation with their seqs, newest last. Keys are kept
 * whole (no hashing): a match needs no confirming read. Immutable: `with` returns a new window.
 */
export class OriginWindow {
  static readonly EMPTY = new OriginWindow([]);

  private constructor(private readonly items: readonly (readonly [key: string, seq: number])[]) {}

  find(key: string): number | undefined {
    for (let i = this.items.length - 1; i >= 0; i--) if (this.items[i]![0] === key) return this.items[i]![1];
    return undefined;
  }

  with(added: readonly (readonly [string, number])[]): OriginWindow {
    if (added.length === 0) return this;
    const all = [...this.items, ...added];
    return new OriginWindow(all.length > DEDUPE_WINDOW ? all.slice(all.length - DEDUPE_WINDOW) : all);
  }
}

/**
 * A conversation as this process last saw it in the database: the row plus what is derived from its newest
 * appends. Only a hint: every write is checked against the database (head, version, fence) and every
 * `getState` asks whether anything changed, so another node's writes are never missed.
 */
export interface ConvRow {
  /** 0 when the conversation has no row yet. */
  readonly no: number;
  readonly ref: ConversationRef;
  readonly head: number;
  readonly messages: number;
  readonly lastAt: number;
  readonly version: number;
  readonly fence: number;
  /** The state as stored (JSON) and parsed. */
  readonly state: string;
  readonly value: ConversationState;
  readonly origins: OriginWindow;
}

export const emptyRow = (ref: ConversationRef): ConvRow => ({
  no: 0,
  ref,
  head: 0,
  messages: 0,
  lastAt: 0,
  version: 0,
  fence: 0,
  state: '{}',
  value: {},
  origins: OriginWindow.EMPTY,
});

/** One stored append: its entries (as the core wrote them, JSON), the last one having `last_seq`. */
export interface AppendRow {
  readonly last_seq: number;
  /** The conversation's message count after this append. */
  readonly last_msg: number;
  readonly data: string;
}

/** Rows this process read or wrote, least recently used first; bounded. */
export class RowCache {
  private readonly rows = new Map<string, ConvRow>();

  constructor(private readonly max: number) {}

  get(id: string): ConvRow | undefined {
    const row = this.rows.get(id);
    if (row) {
      this.rows.delete(id);
      this.rows.set(id, row);
    }
    return row;
  }

  set(id: string, row: ConvRow): void {
    this.rows.delete(id);
    this.rows.set(id, row);
    if (this.rows.size > this.max) this.rows.delete(this.rows.keys().next().value!);
  }

  delete(id: string): void {
    this.rows.delete(id);
  }
}
