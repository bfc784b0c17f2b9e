import type { ConversationRef, ConversationState, Entry, NewEntry, StateSnapshot } from '../../core/model.js';
import type { AppendOptions, AppendResult, ConversationStore, MessagePage } from '../../core/ports/store.js';
import type { Db } from './database.js';

interface PendingAppend {
  readonly ref: ConversationRef;
  readonly entries: readonly NewEntry[];
  readonly options: AppendOptions;
  readonly resolve: (r: AppendResult) => void;
  readonly reject: (e: unknown) => void;
}

type Outcome = { readonly result: AppendResult } | { readonly error: unknown };

interface ConversationRow {
  head_seq: number;
  message_count: number;
  last_at: number;
  version: number;
  fence: number;
  state: string;
}

interface EntryRow {
  conversation_id: string;
  seq: number;
  id: string;
  at: number;
  data: string;
}

/** The parts of an entry kept in the JSON `data` column (the rest have columns of their own). */
type EntryData = Pick<NewEntry, 'from' | 'sessionId' | 'body' | 'origin' | 'audience'>;

const originKey = (e: NewEntry): string | null =>
  e.origin?.clientMessageId !== undefined ? `${e.origin.deviceId}\u0000${e.origin.clientMessageId}` : null;

const isMessage = (e: NewEntry): boolean => e.body.kind === 'user_message' || e.body.kind === 'bot_message';

function toEntry(row: EntryRow): Entry {
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
    conversationId: row.conversation_id,
  };
}

/**
 * {@link ConversationStore} on SQLite (better-sqlite3, WAL).
 *
 * Group commit: appends issued during one turn of the event loop are written in a single transaction
 * (one fsync), and every caller's promise resolves only after that COMMIT returned — so an ack that
 * waits for `append` never acknowledges an unwritten message, yet the fsync cost is shared.
 */
export class SqliteStore implements ConversationStore {
  private queue: PendingAppend[] = [];
  private scheduled = false;
  private closed = false;
  private readonly stmt;
  private readonly flushBatch;
  /** Observed batch sizes, for metrics. */
  onBatch: ((size: number, ms: number) => void) | undefined;

  constructor(private readonly db: Db) {
    this.stmt = {
      findOrigin: db.prepare<[string, string], { seq: number }>('SELECT seq FROM entries WHERE conversation_id = ? AND origin_key = ?'),
      conversation: db.prepare<[string], ConversationRow>(
        'SELECT head_seq, message_count, last_at, version, fence, state FROM conversations WHERE id = ?',
      ),
      insertEntry: db.prepare(
        'INSERT INTO entries (conversation_id, seq, id, at, kind, msg_no, origin_key, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      upsertConversation: db.prepare(
        `INSERT INTO conversations (id, bot_id, user_id, head_seq, message_count, last_at, version, fence, state)
         VALUES (@id, @botId, @userId, @head, @messages, @lastAt, @version, @fence, coalesce(@state, '{}'))
         ON CONFLICT (id) DO UPDATE SET head_seq = @head, message_count = @messages, last_at = @lastAt,
           version = @version, fence = @fence, state = coalesce(@state, state)`,
      ),
      since: db.prepare<[string, number, number], EntryRow>(
        'SELECT conversation_id, seq, id, at, data FROM entries WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      messages: db.prepare<[string, number, number], EntryRow>(
        `SELECT conversation_id, seq, id, at, data FROM entries
         WHERE conversation_id = ? AND msg_no > ? AND msg_no <= ? ORDER BY msg_no`,
      ),
    };
    // Each append runs in its own savepoint: one that throws (e.g. unencodable state) is rolled back and
    // rejected alone, the rest of the batch still commits.
    const one = db.transaction((op: PendingAppend) => this.apply(op));
    this.flushBatch = db.transaction((batch: PendingAppend[]) =>
      batch.map((op): Outcome => {
        try {
          return { result: one(op) };
        } catch (error) {
          return { error };
        }
      }),
    );
  }

  append(ref: ConversationRef, entries: readonly NewEntry[], options: AppendOptions = {}): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ ref, entries, options, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    if (batch.length === 0) return;
    const started = performance.now();
    let outcomes: Outcome[];
    try {
      outcomes = this.flushBatch.immediate(batch);
    } catch (err) {
      // The COMMIT itself failed (disk full, I/O error): nothing of the batch is stored.
      for (const op of batch) op.reject(err);
      return;
    }
    this.onBatch?.(batch.length, performance.now() - started);
    for (let i = 0; i < batch.length; i++) {
      const o = outcomes[i]!;
      if ('result' in o) batch[i]!.resolve(o.result);
      else batch[i]!.reject(o.error);
    }
  }

  /** One append inside the batch transaction. Checks come before writes, so a refused append writes nothing. */
  private apply(op: PendingAppend): AppendResult {
    const { ref, entries, options } = op;
    for (const e of entries) {
      const key = originKey(e);
      if (key === null) continue;
      const found = this.stmt.findOrigin.get(ref.id, key);
      if (found) return { ok: false, reason: 'duplicate', seq: found.seq };
    }
    const row = this.stmt.conversation.get(ref.id);
    const fence = row?.fence ?? 0;
    if (options.fence !== undefined && options.fence < fence) return { ok: false, reason: 'fenced' };
    const version = row?.version ?? 0;
    if (options.state && options.state.expectedVersion !== version) return { ok: false, reason: 'conflict' };

    let head = row?.head_seq ?? 0;
    let messages = row?.message_count ?? 0;
    let lastAt = row?.last_at ?? 0;
    const written: Entry[] = [];
    for (const e of entries) {
      head += 1;
      const msgNo = isMessage(e) ? ++messages : null;
      const data: EntryData = { from: e.from, sessionId: e.sessionId, body: e.body, origin: e.origin, audience: e.audience };
      this.stmt.insertEntry.run(ref.id, head, e.id, e.at, e.body.kind, msgNo, originKey(e), JSON.stringify(data));
      written.push({ ...e, seq: head, conversationId: ref.id });
      if (e.at > lastAt) lastAt = e.at;
    }
    const nextVersion = options.state ? version + 1 : version;
    this.stmt.upsertConversation.run({
      id: ref.id,
      botId: ref.botId,
      userId: ref.userId,
      head,
      messages,
      lastAt,
      version: nextVersion,
      fence: options.fence !== undefined ? Math.max(fence, options.fence) : fence,
      state: options.state ? JSON.stringify(options.state.value) : null,
    });
    return { ok: true, entries: written, version: nextVersion };
  }

  async readSince(conversationId: string, afterSeq: number, limit: number): Promise<readonly Entry[]> {
    return this.stmt.since.all(conversationId, afterSeq, limit).map(toEntry);
  }

  async readMessages(conversationId: string, page: { offset: number; limit: number }): Promise<MessagePage> {
    const total = this.stmt.conversation.get(conversationId)?.message_count ?? 0;
    const end = Math.max(0, total - page.offset);
    const start = Math.max(0, end - page.limit);
    const entries = end > start ? this.stmt.messages.all(conversationId, start, end).map(toEntry) : [];
    return { entries, total };
  }

  async getState(conversationId: string): Promise<StateSnapshot> {
    const row = this.stmt.conversation.get(conversationId);
    if (!row) return { version: 0, value: {}, headSeq: 0, lastAt: 0 };
    return { version: row.version, value: JSON.parse(row.state) as ConversationState, headSeq: row.head_seq, lastAt: row.last_at };
  }

  /** Writes still waiting for their batch (for metrics and shutdown). */
  get pending(): number {
    return this.queue.length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.queue.length > 0) this.flush();
    this.db.close();
  }
}
