import type { ConversationRef, ConversationState, Entry, NewEntry } from '../../core/model.js';
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

/** An append's entries as the JSON of its row: the entries exactly as the core wrote them. */
export const encodeAppend = (entries: readonly NewEntry[]): string => JSON.stringify(entries);

export const isMessage = (e: { readonly body: NewEntry['body'] }): boolean => e.body.kind === 'user_message' || e.body.kind === 'bot_message';

/** The entries of a stored append, with their seq. */
export function decodeAppend(row: AppendRow, conversationId: string): Entry[] {
  const stored = JSON.parse(row.data) as (NewEntry & { seq: number; conversationId: string })[];
  const first = row.last_seq - stored.length + 1;
  for (let i = 0; i < stored.length; i++) {
    stored[i]!.seq = first + i;
    stored[i]!.conversationId = conversationId;
  }
  return stored;
}

/** The dedupe key of a user-originated entry: device + the client's own message id. */
export const originKey = (e: Pick<NewEntry, 'origin'>): string | null =>
  e.origin?.clientMessageId !== undefined ? `${e.origin.deviceId}\u0000${e.origin.clientMessageId}` : null;

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
