import type { ConversationRef, ConversationState, Entry, NewEntry, StateSnapshot } from '../model.js';
import { placedEntry } from '../shapes.js';
import type { AppendOptions, AppendResult, ConversationStore, MessagePage } from '../ports/store.js';

interface Row {
  readonly ref: ConversationRef;
  readonly entries: Entry[];
  /** Seqs of message entries, ascending, for history paging. */
  readonly messageSeqs: number[];
  readonly origins: Map<string, number>;
  state: ConversationState;
  version: number;
  fence: number;
  lastAt: number;
}

const originKey = (e: NewEntry): string | undefined =>
  e.origin?.clientMessageId !== undefined ? `${e.origin.deviceId}\u0000${e.origin.clientMessageId}` : undefined;

const isMessage = (e: NewEntry): boolean => e.body.kind === 'user_message' || e.body.kind === 'bot_message';

/** The reference implementation of {@link ConversationStore}: everything in process memory. */
export class MemoryStore implements ConversationStore {
  private readonly rows = new Map<string, Row>();

  async append(ref: ConversationRef, entries: readonly NewEntry[], options: AppendOptions = {}): Promise<AppendResult> {
    let row = this.rows.get(ref.id);
    for (const e of entries) {
      const key = originKey(e);
      const seq = key !== undefined ? row?.origins.get(key) : undefined;
      if (seq !== undefined) return { ok: false, reason: 'duplicate', seq };
    }
    if (options.fence !== undefined && row && options.fence < row.fence) return { ok: false, reason: 'fenced' };
    if (options.state && options.state.expectedVersion !== (row?.version ?? 0)) return { ok: false, reason: 'conflict' };

    if (!row) {
      row = { ref, entries: [], messageSeqs: [], origins: new Map(), state: {}, version: 0, fence: 0, lastAt: 0 };
      this.rows.set(ref.id, row);
    }
    if (options.fence !== undefined) row.fence = options.fence;
    const written: Entry[] = [];
    for (const e of entries) {
      const entry = placedEntry(e, row.entries.length + 1, ref.id);
      row.entries.push(entry);
      written.push(entry);
      if (isMessage(e)) row.messageSeqs.push(entry.seq);
      const key = originKey(e);
      if (key !== undefined) row.origins.set(key, entry.seq);
      row.lastAt = Math.max(row.lastAt, e.at);
    }
    if (options.state) {
      row.state = options.state.value;
      row.version += 1;
    }
    return { ok: true, entries: written, version: row.version };
  }

  async readSince(conversationId: string, afterSeq: number, limit: number): Promise<readonly Entry[]> {
    const row = this.rows.get(conversationId);
    if (!row) return [];
    return row.entries.slice(Math.max(0, afterSeq), Math.max(0, afterSeq) + limit);
  }

  async readMessages(conversationId: string, page: { offset: number; limit: number }): Promise<MessagePage> {
    const row = this.rows.get(conversationId);
    if (!row) return { entries: [], total: 0 };
    const total = row.messageSeqs.length;
    const end = Math.max(0, total - page.offset);
    const start = Math.max(0, end - page.limit);
    const entries = row.messageSeqs.slice(start, end).map((seq) => row.entries[seq - 1]!);
    return { entries, total };
  }

  async getState(conversationId: string): Promise<StateSnapshot> {
    const row = this.rows.get(conversationId);
    if (!row) return { version: 0, value: {}, headSeq: 0, lastAt: 0 };
    return { version: row.version, value: row.state, headSeq: row.entries.length, lastAt: row.lastAt };
  }

  async close(): Promise<void> {}
}
