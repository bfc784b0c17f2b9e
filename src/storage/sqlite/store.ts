import type { ConversationRef, Entry, NewEntry, StateSnapshot } from '../../core/model.js';
import type { AppendOptions, AppendResult, ConversationStore, MessagePage } from '../../core/ports/store.js';
import type { Db } from './database.js';
import { ORIGIN_WINDOW, OriginRing, originHash } from './origins.js';
import { RowCache, emptyRow, entryData, isMessage, originKey, storedOriginKey, toEntry, type ConvRow, type EntryRow } from './rows.js';

interface PendingAppend {
  readonly ref: ConversationRef;
  readonly entries: readonly NewEntry[];
  readonly options: AppendOptions;
  readonly resolve: (r: AppendResult) => void;
  readonly reject: (e: unknown) => void;
}

type EntryParams = readonly [seq: number, msgNo: number | null, origin: number | null, id: string, at: number, kind: string, data: string];

/** A conversation touched by the batch being written: its row after the batch, and whether the stored row must change. */
interface Touched {
  readonly ref: ConversationRef;
  row: ConvRow;
  rowChanged: boolean;
  readonly entries: EntryParams[];
  /** Origins appended in this batch, added to the dedupe window once the batch is committed. */
  readonly origins: [hash: number, seq: number][];
}

type Outcome = { readonly result: AppendResult } | { readonly error: unknown };

const CACHE_ROWS = 50_000;

/**
 * {@link ConversationStore} on SQLite (better-sqlite3, WAL).
 *
 * Group commit: appends issued during one turn of the event loop are decided in memory, then written in a
 * single transaction (one fsync), and every caller's promise resolves only after that COMMIT returned —
 * so an ack that waits for `append` never acknowledges an unwritten message, yet the fsync is shared.
 *
 * A turn writes its entries, and the conversation row only when the state changes: the head, the message
 * count and the last activity are derived from the newest entries when a conversation is loaded. The store
 * must be its database's only writer of conversations (the server locks its data directory); it keeps what
 * it loaded and wrote in memory.
 */
export class SqliteStore implements ConversationStore {
  private queue: PendingAppend[] = [];
  private scheduled = false;
  private closed = false;
  private readonly cache = new RowCache(CACHE_ROWS);
  private readonly stmt;
  private readonly write;
  /** Observed batch sizes and commit durations, for metrics. */
  onBatch: ((size: number, ms: number) => void) | undefined;

  constructor(private readonly db: Db) {
    this.stmt = {
      row: db.prepare<[string], { no: number; version: number; fence: number; state: string }>(
        'SELECT no, version, fence, state FROM conversations WHERE id = ?',
      ),
      newest: db.prepare<[number], { seq: number; at: number }>('SELECT seq, at FROM entries WHERE conv = ? ORDER BY seq DESC LIMIT 1'),
      newestMessage: db.prepare<[number], { msg_no: number }>(
        'SELECT msg_no FROM entries WHERE conv = ? AND msg_no IS NOT NULL ORDER BY seq DESC LIMIT 1',
      ),
      newestOrigins: db.prepare<[number, number], { seq: number; origin: number }>(
        'SELECT seq, origin FROM entries WHERE conv = ? AND origin IS NOT NULL ORDER BY seq DESC LIMIT ?',
      ),
      entryAt: db.prepare<[number, number], { data: string }>('SELECT data FROM entries WHERE conv = ? AND seq = ?'),
      insertRow: db.prepare<[string, string, string, number, number, string]>(
        'INSERT INTO conversations (id, bot_id, user_id, version, fence, state) VALUES (?, ?, ?, ?, ?, ?) RETURNING no',
      ),
      updateRow: db.prepare('UPDATE conversations SET version = ?, fence = ?, state = ? WHERE no = ?'),
      insertEntry: db.prepare('INSERT INTO entries (conv, seq, msg_no, origin, id, at, kind, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      since: db.prepare<[number, number, number], EntryRow>('SELECT seq, id, at, data FROM entries WHERE conv = ? AND seq > ? ORDER BY seq LIMIT ?'),
      messages: db.prepare<[number, number, number], EntryRow>(
        'SELECT seq, id, at, data FROM entries WHERE conv = ? AND msg_no IS NOT NULL ORDER BY seq DESC LIMIT ? OFFSET ?',
      ),
    };
    this.write = db.transaction((touched: Iterable<Touched>) => {
      for (const t of touched) {
        const r = t.row;
        let no = r.no;
        if (no === 0) no = (this.stmt.insertRow.get(t.ref.id, t.ref.botId, t.ref.userId, r.version, r.fence, r.state) as { no: number }).no;
        else if (t.rowChanged) this.stmt.updateRow.run(r.version, r.fence, r.state, no);
        for (const e of t.entries) this.stmt.insertEntry.run(no, e[0], e[1], e[2], e[3], e[4], e[5], e[6]);
        t.row = { ...r, no };
      }
    });
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
    // Decide every append against the conversations as this batch leaves them, before writing anything:
    // a refused or failing append (e.g. state that cannot be encoded) then writes nothing and fails alone.
    const touched = new Map<string, Touched>();
    const outcomes: Outcome[] = batch.map((op) => {
      try {
        return { result: this.plan(op, touched) };
      } catch (error) {
        return { error };
      }
    });
    try {
      if (touched.size > 0) this.write.immediate(touched.values());
    } catch (err) {
      // The transaction failed (disk full, I/O error): nothing of the batch is stored.
      for (const id of touched.keys()) this.cache.delete(id);
      for (const op of batch) op.reject(err);
      return;
    }
    for (const [id, t] of touched) {
      for (const [hash, seq] of t.origins) t.row.origins.add(hash, seq);
      this.cache.set(id, t.row);
    }
    this.onBatch?.(batch.length, performance.now() - started);
    for (let i = 0; i < batch.length; i++) {
      const o = outcomes[i]!;
      if ('result' in o) batch[i]!.resolve(o.result);
      else batch[i]!.reject(o.error);
    }
  }

  private plan(op: PendingAppend, touched: Map<string, Touched>): AppendResult {
    const { ref, entries, options } = op;
    const earlier = touched.get(ref.id);
    const row = earlier?.row ?? this.row(ref.id);
    for (const e of entries) {
      const key = originKey(e);
      if (key === null) continue;
      const seq = this.duplicateOf(row, key, earlier);
      if (seq !== undefined) return { ok: false, reason: 'duplicate', seq };
    }
    if (options.fence !== undefined && options.fence < row.fence) return { ok: false, reason: 'fenced' };
    if (options.state && options.state.expectedVersion !== row.version) return { ok: false, reason: 'conflict' };

    const state = options.state ? JSON.stringify(options.state.value) : row.state;
    const params: EntryParams[] = [];
    const origins: [number, number][] = [];
    const written: Entry[] = [];
    let { head, messages, lastAt } = row;
    for (const e of entries) {
      head += 1;
      const key = originKey(e);
      const hash = key === null ? null : originHash(key);
      params.push([head, isMessage(e) ? ++messages : null, hash, e.id, e.at, e.body.kind, entryData(e)]);
      if (hash !== null) origins.push([hash, head]);
      written.push({ ...e, seq: head, conversationId: ref.id });
      if (e.at > lastAt) lastAt = e.at;
    }
    const version = options.state ? row.version + 1 : row.version;
    const fence = options.fence !== undefined ? Math.max(row.fence, options.fence) : row.fence;
    const next: ConvRow = { ...row, head, messages, lastAt, version, fence, state, value: options.state ? options.state.value : row.value };
    const t = earlier ?? { ref, row, rowChanged: false, entries: [], origins: [] };
    t.row = next;
    t.rowChanged ||= next.version !== row.version || next.fence !== row.fence;
    t.entries.push(...params);
    t.origins.push(...origins);
    touched.set(ref.id, t);
    return { ok: true, entries: written, version };
  }

  /** The seq of a stored (or earlier in this batch) entry with this origin, within the dedupe window. */
  private duplicateOf(row: ConvRow, key: string, earlier: Touched | undefined): number | undefined {
    const hash = originHash(key);
    if (earlier) {
      for (const [h, seq] of earlier.origins) {
        if (h !== hash) continue;
        const data = earlier.entries.find((e) => e[0] === seq)?.[6];
        if (data !== undefined && storedOriginKey(data) === key) return seq;
      }
    }
    if (row.no === 0) return undefined;
    for (const seq of row.origins.candidates(hash)) {
      const stored = this.stmt.entryAt.get(row.no, seq);
      if (stored && storedOriginKey(stored.data) === key) return seq;
    }
    return undefined;
  }

  /** The conversation as of the last commit: from memory, or loaded (row + newest entries) once. */
  private row(id: string): ConvRow {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const r = this.stmt.row.get(id);
    if (!r) return emptyRow();
    const newest = this.stmt.newest.get(r.no);
    const origins = new OriginRing();
    for (const o of this.stmt.newestOrigins.all(r.no, ORIGIN_WINDOW).reverse()) origins.add(o.origin, o.seq);
    const row: ConvRow = {
      no: r.no,
      head: newest?.seq ?? 0,
      messages: this.stmt.newestMessage.get(r.no)?.msg_no ?? 0,
      lastAt: newest?.at ?? 0,
      version: r.version,
      fence: r.fence,
      state: r.state,
      value: JSON.parse(r.state) as ConvRow['value'],
      origins,
    };
    this.cache.set(id, row);
    return row;
  }

  async readSince(conversationId: string, afterSeq: number, limit: number): Promise<readonly Entry[]> {
    const { no } = this.row(conversationId);
    if (no === 0) return [];
    return this.stmt.since.all(no, afterSeq, limit).map((r) => toEntry(r, conversationId));
  }

  async readMessages(conversationId: string, page: { offset: number; limit: number }): Promise<MessagePage> {
    const { no, messages: total } = this.row(conversationId);
    if (no === 0 || page.limit === 0 || page.offset >= total) return { entries: [], total };
    const newestFirst = this.stmt.messages.all(no, page.limit, page.offset);
    return { entries: newestFirst.reverse().map((r) => toEntry(r, conversationId)), total };
  }

  async getState(conversationId: string): Promise<StateSnapshot> {
    const row = this.row(conversationId);
    return { version: row.version, value: row.value, headSeq: row.head, lastAt: row.lastAt };
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
