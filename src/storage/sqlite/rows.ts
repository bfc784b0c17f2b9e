import type { ConversationRef, ConversationState } from '../../core/model.js';
import { OriginRing } from './origins.js';

/**
 * A conversation as the store keeps it in memory (it is the only writer of its database): the stored row
 * plus what is derived from its newest append (head, message count, last activity, dedupe window).
 */
export interface ConvRow {
  /** Compact integer key used by the appends table and its index; 0 until the row exists. */
  readonly no: number;
  readonly ref: ConversationRef;
  readonly head: number;
  readonly messages: number;
  readonly lastAt: number;
  readonly version: number;
  readonly fence: number;
  readonly state: string;
  readonly value: ConversationState;
  readonly origins: OriginRing;
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
  origins: new OriginRing(),
});

/** One stored append: its entries in order, the last one having `last_seq`. */
export interface AppendRow {
  readonly last_seq: number;
  /** The conversation's message count after this append. */
  readonly last_msg: number;
  readonly data: string;
}

export { decodeAppend, encodeAppend, isMessage, originKey } from '../shared/entries-json.js';

/** Rows this process wrote or read, most recently written last; bounded. */
export class RowCache {
  private readonly rows = new Map<string, ConvRow>();

  constructor(private readonly max: number) {}

  get(id: string): ConvRow | undefined {
    return this.rows.get(id);
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
