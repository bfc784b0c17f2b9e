import type { ConversationRef, Entry, NewEntry, StateSnapshot } from '../../core/model.js';
import type { AppendOptions, AppendResult, ConversationStore, MessagePage } from '../../core/ports/store.js';
import type { Pool } from './database.js';
import { appendArgs, merge, plan, WINDOW_APPENDS, type Op, type Outcome, type PendingAppend, type Refreshed } from './plan.js';
import { RowCache, decodeAppend, emptyRow, isMessage, type ConvRow } from './rows.js';
import { APPEND, HEADS, NEWEST_FIRST, REFRESH, SINCE, TOTAL } from './statements.js';

const CACHE_ROWS = 20_000;
/** Group commits in flight at once (each on its own pooled connection, on disjoint conversations). */
const MAX_BATCHES = 4;
/** Conversations in one group commit at most. */
const MAX_BATCH = 256;
/** Replans of one append after its row turned out stale, before giving up. */
const MAX_ATTEMPTS = 20;

/**
 * {@link ConversationStore} on PostgreSQL, for any number of nodes sharing one database.
 *
 * Same layout as SQLite (an append is one row of its entries as JSON; the conversation row holds state,
 * version and fence), but several writers: this process keeps what it last saw of a conversation only as a
 * hint to plan from. Appends issued in one turn of the event loop are planned from those rows (seq, dedupe,
 * version and fence checks) and committed as one batch through one function call (migrations.ts), which
 * locks each conversation and checks the plan's starting point; a conversation another node moved meanwhile
 * is refreshed and planned again, so nothing is ever written from a stale view. `getState` reads are batched
 * the same way and bring back only what changed since the row this process holds.
 *
 * The pool is the caller's: `close` commits what is queued but does not end it.
 */
export class PostgresStore implements ConversationStore {
  private readonly cache = new RowCache(CACHE_ROWS);
  private queue: PendingAppend[] = [];
  private readonly writing = new Set<string>();
  private batches = 0;
  private writeScheduled = false;
  private reads: { id: string; resolve: (row: ConvRow) => void; reject: (e: unknown) => void }[] = [];
  private readScheduled = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private idle: (() => void) | undefined;
  /** Observed batch sizes (appends) and commit durations, for metrics. */
  onBatch: ((size: number, ms: number) => void) | undefined;

  constructor(private readonly pool: Pool) {}

  append(ref: ConversationRef, entries: readonly NewEntry[], options: AppendOptions = {}): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ ref, entries, options, resolve, reject, attempts: 0 });
      this.scheduleWrite();
    });
  }

  async getState(conversationId: string): Promise<StateSnapshot> {
    const row = await this.read(conversationId);
    return { version: row.version, value: row.value, headSeq: row.head, lastAt: row.lastAt };
  }

  async readSince(conversationId: string, afterSeq: number, limit: number): Promise<readonly Entry[]> {
    if (limit <= 0) return [];
    const { rows } = await this.pool.query<{ last_seq: number; data: string }>({ ...SINCE, values: [conversationId, afterSeq, limit] });
    const out: Entry[] = [];
    for (const a of rows) for (const e of decodeAppend(a, conversationId)) if (e.seq > afterSeq && out.length < limit) out.push(e);
    return out;
  }

  async readMessages(conversationId: string, page: { offset: number; limit: number }): Promise<MessagePage> {
    const head = (await this.pool.query<{ no: number; total: number }>({ ...TOTAL, values: [conversationId] })).rows[0];
    const total = head?.total ?? 0;
    if (!head || page.limit === 0 || page.offset >= total) return { entries: [], total };
    // Appends holding a message newer than the page's oldest one, newest first: skip `offset` messages, take `limit`.
    const lowest = Math.max(0, total - page.offset - page.limit);
    const { rows } = await this.pool.query<{ last_seq: number; last_msg: number; data: string }>({ ...NEWEST_FIRST, values: [head.no, lowest] });
    const newestFirst: Entry[] = [];
    let skip = page.offset;
    for (const a of rows) {
      for (const m of decodeAppend(a, conversationId).filter(isMessage).reverse()) {
        if (skip > 0) skip -= 1;
        else newestFirst.push(m);
      }
      if (newestFirst.length >= page.limit) break;
    }
    return { entries: newestFirst.slice(0, page.limit).reverse(), total };
  }

  async heads(conversationIds: readonly string[]): Promise<ReadonlyMap<string, number>> {
    const out = new Map<string, number>(conversationIds.map((id) => [id, 0]));
    if (conversationIds.length === 0) return out;
    const { rows } = await this.pool.query<{ id: string; head: number }>({ ...HEADS, values: [conversationIds] });
    for (const r of rows) out.set(r.id, r.head);
    return out;
  }

  /** Appends waiting for their batch or being committed (metrics, shutdown). */
  get pending(): number {
    return this.queue.length + this.writing.size;
  }

  /** Commit what is queued, then refuse new appends. The pool stays open. */
  close(): Promise<void> {
    this.closed = true;
    return (this.closing ??= this.queue.length === 0 && this.batches === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.idle = resolve)));
  }

  // --- reads -------------------------------------------------------------------------------------

  /** The conversation as the database has it now (this process's copy, confirmed or refreshed). */
  private read(id: string): Promise<ConvRow> {
    return new Promise((resolve, reject) => {
      this.reads.push({ id, resolve, reject });
      if (!this.readScheduled) {
        this.readScheduled = true;
        setImmediate(() => void this.flushReads());
      }
    });
  }

  private async flushReads(): Promise<void> {
    this.readScheduled = false;
    const reads = this.reads;
    this.reads = [];
    try {
      const rows = await this.refresh([...new Set(reads.map((r) => r.id))]);
      for (const r of reads) r.resolve(rows.get(r.id)!);
    } catch (err) {
      for (const r of reads) r.reject(err);
    }
  }

  /**
   * Ask the database what changed in these conversations since the rows this process holds (everything, for
   * rows it does not hold), and update those rows — unless this process committed to one meanwhile (its
   * row is then at least as new).
   */
  private async refresh(ids: readonly string[], refs: ReadonlyMap<string, ConversationRef> = new Map()): Promise<Map<string, ConvRow>> {
    const before = ids.map((id) => this.cache.get(id));
    const { rows } = await this.pool.query<Refreshed>({
      ...REFRESH,
      values: [ids, before.map((r) => (r && r.no > 0 ? r.version : -1)), before.map((r) => (r && r.no > 0 ? r.head : 0)), WINDOW_APPENDS],
    });
    const byIndex = new Map<number, Refreshed[]>();
    for (const r of rows) {
      let list = byIndex.get(r.i);
      if (!list) byIndex.set(r.i, (list = []));
      list.push(r);
    }
    const out = new Map<string, ConvRow>();
    ids.forEach((id, k) => {
      const old = before[k];
      const ref = refs.get(id) ?? old?.ref ?? { id, botId: '', userId: '' };
      const found = byIndex.get(k + 1);
      const fresh = found ? merge(id, old && old.no > 0 ? old : undefined, found) : emptyRow(ref);
      if (this.cache.get(id) === old) {
        this.cache.set(id, fresh);
        out.set(id, fresh);
      } else {
        out.set(id, this.cache.get(id) ?? fresh);
      }
    });
    return out;
  }

  // --- writes ------------------------------------------------------------------------------------

  private scheduleWrite(): void {
    if (this.writeScheduled) return;
    this.writeScheduled = true;
    setImmediate(() => {
      this.writeScheduled = false;
      this.flushWrites();
    });
  }

  /** Start a group commit of every queued append whose conversation is not being committed already. */
  private flushWrites(): void {
    if (this.batches >= MAX_BATCHES || this.queue.length === 0) return;
    const take: PendingAppend[] = [];
    const rest: PendingAppend[] = [];
    const ids = new Set<string>();
    for (const p of this.queue) {
      const id = p.ref.id;
      if (this.writing.has(id) || (!ids.has(id) && ids.size >= MAX_BATCH)) rest.push(p);
      else {
        ids.add(id);
        take.push(p);
      }
    }
    this.queue = rest;
    if (take.length === 0) return;
    for (const id of ids) this.writing.add(id);
    this.batches += 1;
    this.commit(take)
      .catch((err: unknown) => {
        // Nothing of the batch is known to be stored: fail it, forget the rows (reloaded next time).
        for (const id of ids) this.cache.delete(id);
        for (const p of take) p.reject(err);
      })
      .finally(() => {
        this.batches -= 1;
        for (const id of ids) this.writing.delete(id);
        if (this.queue.length > 0) this.scheduleWrite();
        else if (this.batches === 0) this.idle?.();
      });
  }

  private async commit(batch: readonly PendingAppend[]): Promise<void> {
    const missing = [...new Set(batch.map((p) => p.ref.id))].filter((id) => !this.cache.get(id));
    if (missing.length > 0) await this.refresh(missing, new Map(batch.map((p) => [p.ref.id, p.ref])));
    const ops = new Map<string, Op>();
    for (const p of batch) {
      let op = ops.get(p.ref.id);
      if (!op) {
        const row = this.cache.get(p.ref.id) ?? emptyRow(p.ref);
        const from = row.no === 0 ? { ...row, ref: p.ref } : row;
        op = { id: p.ref.id, from, row: from, fenceMin: null, stateChanged: false, appends: [], items: [] };
        ops.set(p.ref.id, op);
      }
      let outcome: Outcome;
      try {
        outcome = { result: plan(op, p) };
      } catch (error) {
        outcome = { error };
      }
      op.items.push({ op: p, outcome });
    }
    const writes = [...ops.values()].filter((o) => o.appends.length > 0 || o.row.version !== o.from.version || o.row.fence !== o.from.fence);
    writes.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const stale: Op[] = [];
    const started = performance.now();
    if (writes.length > 0) {
      const { rows } = await this.pool.query<{ o_i: number; o_ok: boolean; o_no: number; o_head: number; o_version: number; o_fence: number }>({
        ...APPEND,
        values: appendArgs(writes),
      });
      for (const r of rows) {
        const op = writes[r.o_i - 1]!;
        if (r.o_ok) this.cache.set(op.id, { ...op.row, no: r.o_no });
        else stale.push(op);
      }
    }
    this.onBatch?.(batch.length, performance.now() - started);
    const staleIds = new Set(stale.map((o) => o.id));
    for (const op of ops.values()) {
      if (staleIds.has(op.id)) continue;
      for (const { op: p, outcome } of op.items) {
        if ('result' in outcome) p.resolve(outcome.result);
        else p.reject(outcome.error);
      }
    }
    if (stale.length === 0) return;
    // Another node wrote to these conversations since this process last saw them: catch up, plan again.
    await this.refresh([...staleIds], new Map(stale.map((o) => [o.id, o.from.ref])));
    const again: PendingAppend[] = [];
    for (const op of stale) {
      for (const { op: p } of op.items) {
        p.attempts += 1;
        if (p.attempts >= MAX_ATTEMPTS) p.reject(new Error(`conversation ${op.id} keeps changing under this writer`));
        else again.push(p);
      }
    }
    this.queue = [...again, ...this.queue];
  }
}
