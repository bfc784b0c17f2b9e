import type { ConversationState, Entry, NewEntry } from '../../core/model.js';
import { OriginRing } from './origins.js';

/**
 * A conversation as the store keeps it in memory (it is the only writer of its database): the stored row
 * plus what is derived from the newest entries (head, message count, last activity, dedupe window).
 */
export interface ConvRow {
  /** Compact integer key used by the entries table and its index; 0 until the row exists. */
  readonly no: number;
  readonly head: number;
  readonly messages: number;
  readonly lastAt: number;
  readonly version: number;
  readonly fence: number;
  readonly state: string;
  readonly value: ConversationState;
  readonly origins: OriginRing;
}

export const emptyRow = (): ConvRow => ({ no: 0, head: 0, messages: 0, lastAt: 0, version: 0, fence: 0, state: '{}', value: {}, origins: new OriginRing() });

export interface EntryRow {
  readonly seq: number;
  readonly id: string;
  readonly at: number;
  readonly data: string;
}

/** The parts of an entry kept in the JSON `data` column (the rest have columns of their own). */
type EntryData = Pick<NewEntry, 'from' | 'sessionId' | 'body' | 'origin' | 'audience'>;

export const entryData = (e: NewEntry): string =>
  JSON.stringify({ from: e.from, sessionId: e.sessionId, body: e.body, origin: e.origin, audience: e.audience } satisfies EntryData);

export function toEntry(row: EntryRow, conversationId: string): Entry {
  const d = JSON.parse(row.data) as EntryData;
  return {
    id: row.id,
    at: row.at,
    from: d.from,
    ...(d.sessionId !== undefined ? { sessionId: d.sessionId } : {}),
    body: d.body,
    ...(d.origin !== undefined ? { origin: d.origin } : {}),
    ...(d.audience !== undefined ? { audience: d.audience } : {}),
    seq: row.seq,
    conversationId,
  };
}

export const isMessage = (e: NewEntry): boolean => e.body.kind === 'user_message' || e.body.kind === 'bot_message';

/** The dedupe key of a user-originated entry: device + the client's own message id. */
export const originKey = (e: NewEntry): string | null =>
  e.origin?.clientMessageId !== undefined ? `${e.origin.deviceId}\u0000${e.origin.clientMessageId}` : null;

export const storedOriginKey = (data: string): string | null => {
  const o = (JSON.parse(data) as EntryData).origin;
  return o?.clientMessageId !== undefined ? `${o.deviceId}\u0000${o.clientMessageId}` : null;
};

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

  get size(): number {
    return this.rows.size;
  }
}
