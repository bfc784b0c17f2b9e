import type { ConversationRef, Entry, NewEntry, StateSnapshot } from '../../core/model.js';
import { placedEntry } from '../../core/shapes.js';
import type { AppendOptions, AppendResult, ConversationStore, MessagePage } from '../../core/ports/store.js';
import type { Db } from './database.js';
import { batchTransaction, type ConvWrite, type WriteResult } from './writer.js';
import { ORIGIN_WINDOW, OriginRing, originHash } from './origins.js';
import { RowCache, decodeAppend, emptyRow, encodeAppend, isMessage, originKey, type AppendRow, type ConvRow } from './rows.js';

interface PendingAppend {
  readonly ref: ConversationRef;
  readonly entries: readonly NewEntry[];
  readonly options: AppendOptions;
  readonly resolve: (r: AppendResult) => void;
  readonly reject: (e: unknown) => void;
}

/** A conversation touched by the batch being written: its row after the batch, and what to write. */
interface Touched {
  row: ConvRow;
  rowChanged: boolean;
  readonly appends: { readonly lastSeq: number; readonly lastMsg: number; readonly data: string; readonly entries: readonly Entry[] }[];
  /** Origins appended in this batch, added to the dedupe window once the batch is committed. */
  readonly origins: [hash: number, seq: number][];
}

type Outcome = { readonly result: AppendResult } | { readonly error: unknown };

function settle(batch: readonly PendingAppend[], outcomes: readonly Outcome[]): void {
  for (let i = 0; i < batch.length; i++) {
    const o = outcomes[i]!;
    if ('result' in o) batch[i]!.resolve(o.result);
    else batch[i]!.reject(o.error);
  }
}

const toWrite = (t: Touched): ConvWrite => ({
  id: t.row.ref.id,
  botId: t.row.ref.botId,
  userId: t.row.ref.userId,
  no: t.row.no,
  row: t.rowChanged || t.row.no === 0 ? { version: t.row.version, fence: t.row.fence, state: t.row.state } : null,
  appends: t.appends.map((a) => [a.lastSeq, a.lastMsg, a.data] as const),
});

const CACHE_ROWS = 50_000;
/** Least time between the starts of two commits (see `schedule`). */
const COMMIT_SPACING_MS = 2;

/**
 * {@link ConversationStore} on SQLite (better-sqlite3, WAL).
 *
 * Group commit: appends issued during one turn of the event loop are decided in memory, then written in a
 * single transaction (one fsync), and every caller's promise resolves only after that COMMIT returned —
 * so an ack that waits for `append` never acknowledges an unwritten message, yet the fsync is shared.
 *
 * An append is one row (its entries as a JSON array); the conversation row is written only when its
 * state changes — the head, the message count and the last activity are derived from the newest append
 * when a conversation is loaded. The store must be its database's only writer of conversations (the
 * server locks its data directory): it keeps what it loaded and wrote in memory.
 */
export class SqliteStore implements ConversationStore {
  private queue: PendingAppend[] = [];
  private scheduled = false;
  private closed = false;
  private readonly cache = new RowCache(CACHE_ROWS);
  private readonly stmt;
  private readonly commit: (batch: readonly ConvWrite[]) => WriteResult;
  private lastCommitAt = -Infinity;
  /** Observed batch sizes and commit durations, for metrics. */
  onBatch: ((size: number, ms: number) => void) | undefined;

  constructor(private readonly db: Db) {
    this.commit = batchTransaction(db);
    const cols = 'last_seq, last_msg, data';
    this.stmt = {
      row: db.prepare<[string], { no: number; bot_id: string; user_id: string; version: number; fence: number; state: string }>(
        'SELECT no, bot_id, user_id, version, fence, state FROM conversations WHERE id = ?',
      ),
      newest: db.prepare<[number, number], AppendRow>(`SELECT ${cols} FROM appends WHERE conv = ? ORDER BY last_seq DESC LIMIT ?`),
      containing: db.prepare<[number, number], AppendRow>(`SELECT ${cols} FROM appends WHERE conv = ? AND last_seq >= ? ORDER BY last_seq LIMIT 1`),
      since: db.prepare<[number, number, number], AppendRow>(`SELECT ${cols} FROM appends WHERE conv = ? AND last_seq > ? ORDER BY last_seq LIMIT ?`),
      newestFirst: db.prepare<[number], AppendRow>(`SELECT ${cols} FROM appends WHERE conv = ? ORDER BY last_seq DESC`),
    };
  }

  append(ref: ConversationRef, entries: readonly NewEntry[], options: AppendOptions = {}): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ ref, entries, options, resolve, reject });
      if (!this.scheduled) this.schedule();
    });
  }

  /**
   * Commit at the end of this turn of the event loop — unless the last commit was less than
   * {@link COMMIT_SPACING_MS} ago: then wait out the rest of that interval, so that under a steady load
   * commits (and their fsyncs) stay few and batches grow, while a lone message is never delayed.
   */
  private schedule(): void {
    this.scheduled = true;
    const wait = this.lastCommitAt + COMMIT_SPACING_MS - performance.now();
    if (wait <= 0) setImmediate(this.flushNow);
    else setTimeout(this.flushNow, wait);
  }

  private readonly flushNow = () => this.flush();

  private flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    const started = performance.now();
    this.lastCommitAt = started;
    // Decide every append against the conversations as the last commit left them, before writing anything:
    // a refused or failing append (e.g. state that cannot be encoded) then writes nothing and fails alone.
    const touched = new Map<string, Touched>();
    const outcomes: Outcome[] = batch.map((op) => {
      try {
        return { result: this.plan(op, touched) };
      } catch (error) {
        return { error };
      }
    });
    if (touched.size > 0) {
      let nos: WriteResult;
      try {
        nos = this.commit([...touched.values()].map(toWrite));
      } catch (err) {
        // The commit failed (disk full, I/O error): nothing of the batch is stored.
        for (const id of touched.keys()) this.cache.delete(id);
        for (const op of batch) op.reject(err);
        return;
      }
      let i = 0;
      for (const [id, t] of touched) {
        for (const [hash, seq] of t.origins) t.row.origins.add(hash, seq);
        const no = nos[i++]!;
        // (A copy only for a conversation this batch created: it learns its key.)
        this.cache.set(id, t.row.no === no ? t.row : { ...t.row, no });
      }
    }
    this.onBatch?.(batch.length, performance.now() - started);
    settle(batch, outcomes);
  }

  private plan(op: PendingAppend, touched: Map<string, Touched>): AppendResult {
    const { ref, entries, options } = op;
    const earlier = touched.get(ref.id);
    const row = earlier?.row ?? this.row(ref);
    // The origins of this append as [hash, index of the entry] (its seq once placed), for the dedupe window.
    const origins: [hash: number, seq: number][] = [];
    for (let i = 0; i < entries.length; i++) {
      const key = originKey(entries[i]!);
      if (key === null) continue;
      const hash = originHash(key);
      const seq = this.duplicateOf(row, key, hash, earlier);
      if (seq !== undefined) return { ok: false, reason: 'duplicate', seq };
      origins.push([hash, i]);
    }
    if (options.fence !== undefined && options.fence < row.fence) return { ok: false, reason: 'fenced' };
    if (options.state && options.state.expectedVersion !== row.version) return { ok: false, reason: 'conflict' };

    const state = options.state ? JSON.stringify(options.state.value) : row.state;
    const data = entries.length > 0 ? encodeAppend(entries) : '';
    let { head, messages, lastAt } = row;
    const written: Entry[] = [];
    const t = earlier ?? { row, rowChanged: false, appends: [], origins: [] };
    for (const origin of origins) {
      origin[1] += head + 1;
      t.origins.push(origin);
    }
    for (const e of entries) {
      head += 1;
      if (isMessage(e)) messages += 1;
      written.push(placedEntry(e, head, ref.id));
      if (e.at > lastAt) lastAt = e.at;
    }
    const version = options.state ? row.version + 1 : row.version;
    const fence = options.fence !== undefined ? Math.max(row.fence, options.fence) : row.fence;
    t.row = {
      no: row.no,
      ref: row.ref,
      head,
      messages,
      lastAt,
      version,
      fence,
      state,
      value: options.state ? options.state.value : row.value,
      origins: row.origins,
    };
    t.rowChanged ||= version !== row.version || fence !== row.fence;
    if (entries.length > 0) t.appends.push({ lastSeq: head, lastMsg: messages, data, entries: written });
    touched.set(ref.id, t);
    return { ok: true, entries: written, version };
  }

  /** The seq of a stored (or earlier in this batch) entry with this origin, within the dedupe window. */
  private duplicateOf(row: ConvRow, key: string, hash: number, earlier: Touched | undefined): number | undefined {
    if (earlier) {
      for (const a of earlier.appends) for (const e of a.entries) if (originKey(e) === key) return e.seq;
    }
    if (row.no === 0) return undefined;
    for (const seq of row.origins.candidates(hash)) {
      const stored = this.stmt.containing.get(row.no, seq);
      const entry = stored && decodeAppend(stored, row.ref.id).find((e) => e.seq === seq);
      if (entry && originKey(entry) === key) return seq;
    }
    return undefined;
  }

  /** The conversation as of the last commit: from memory, or loaded (row + newest appends) once. */
  private row(ref: ConversationRef): ConvRow {
    const cached = this.cache.get(ref.id);
    if (cached) return cached;
    const r = this.stmt.row.get(ref.id);
    if (!r) return emptyRow(ref);
    const stored: ConversationRef = { id: ref.id, botId: r.bot_id, userId: r.user_id };
    const newest = this.stmt.newest.all(r.no, ORIGIN_WINDOW);
    const origins = new OriginRing();
    let lastAt = 0;
    for (const a of [...newest].reverse()) {
      for (const e of decodeAppend(a, ref.id)) {
        const key = originKey(e);
        if (key !== null) origins.add(originHash(key), e.seq);
        if (e.at > lastAt) lastAt = e.at;
      }
    }
    const row: ConvRow = {
      no: r.no,
      ref: stored,
      head: newest[0]?.last_seq ?? 0,
      messages: newest[0]?.last_msg ?? 0,
      lastAt,
      version: r.version,
      fence: r.fence,
      state: r.state,
      value: JSON.parse(r.state) as ConvRow['value'],
      origins,
    };
    this.cache.set(ref.id, row);
    return row;
  }

  private known(conversationId: string): ConvRow {
    return this.row({ id: conversationId, botId: '', userId: '' });
  }

  async readSince(conversationId: string, afterSeq: number, limit: number): Promise<readonly Entry[]> {
    const row = this.known(conversationId);
    if (row.no === 0 || limit <= 0) return [];
    const out: Entry[] = [];
    for (const a of this.stmt.since.all(row.no, afterSeq, limit)) {
      for (const e of decodeAppend(a, conversationId)) if (e.seq > afterSeq && out.length < limit) out.push(e);
    }
    return out;
  }

  async readMessages(conversationId: string, page: { offset: number; limit: number }): Promise<MessagePage> {
    const row = this.known(conversationId);
    const total = row.messages;
    if (row.no === 0 || page.limit === 0 || page.offset >= total) return { entries: [], total };
    // Walk appends from the newest, skipping `offset` messages, until `limit` are collected.
    const newestFirst: Entry[] = [];
    let skip = page.offset;
    for (const a of this.stmt.newestFirst.iterate(row.no)) {
      const messages = decodeAppend(a, conversationId).filter(isMessage).reverse();
      for (const m of messages) {
        if (skip > 0) skip -= 1;
        else newestFirst.push(m);
      }
      if (newestFirst.length >= page.limit) break;
    }
    return { entries: newestFirst.slice(0, page.limit).reverse(), total };
  }

  async getState(conversationId: string): Promise<StateSnapshot> {
    const row = this.known(conversationId);
    return { version: row.version, value: row.value, headSeq: row.head, lastAt: row.lastAt };
  }

  /** Writes still waiting for their batch (for metrics and shutdown). */
  get pending(): number {
    return this.queue.length;
  }

  /** Commit what is queued, then close. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flush();
    this.db.close();
  }
}
