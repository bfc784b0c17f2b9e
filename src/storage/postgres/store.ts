import type { ConversationRef, ConversationState, Entry, NewEntry, StateSnapshot } from '../../core/model.js';
import { DEDUPE_WINDOW, type AppendOptions, type AppendResult, type ConversationStore, type MessagePage } from '../../core/ports/store.js';
import type { Pool } from './database.js';
import { APPEND_FUNCTION } from './migrations.js';
import { RowCache, decodeAppend, emptyRow, encodeAppend, isMessage, originKey, type ConvRow } from './rows.js';

interface PendingAppend {
  readonly ref: ConversationRef;
  readonly entries: readonly NewEntry[];
  readonly options: AppendOptions;
  readonly resolve: (r: AppendResult) => void;
  readonly reject: (e: unknown) => void;
  /** Times this append was planned on a row that turned out stale. */
  attempts: number;
}

type Outcome = { readonly result: AppendResult } | { readonly error: unknown };

/** One conversation's part of a group commit: the row it was planned from, and what to write. */
interface Op {
  readonly id: string;
  readonly from: ConvRow;
  row: ConvRow;
  /** The lowest fencing token among the appends (the database's fence must not exceed it). */
  fenceMin: number | null;
  stateChanged: boolean;
  readonly appends: { readonly lastSeq: number; readonly lastMsg: number; readonly data: string }[];
  readonly items: { readonly op: PendingAppend; readonly outcome: Outcome }[];
}

interface Refreshed {
  i: number;
  no: number;
  bot_id: string;
  user_id: string;
  version: number;
  fence: number;
  state: string | null;
  last_seq: number | null;
  last_msg: number | null;
  data: string | null;
}

/** Appends read to rebuild a conversation's dedupe window (twice the window: bot-only appends carry no origin). */
const WINDOW_APPENDS = 2 * DEDUPE_WINDOW;
const CACHE_ROWS = 20_000;
/** Group commits in flight at once (each on its own pooled connection, on disjoint conversations). */
const MAX_BATCHES = 4;
/** Conversations in one group commit at most. */
const MAX_BATCH = 256;
/** Replans of one append after its row turned out stale, before giving up. */
const MAX_ATTEMPTS = 20;

const REFRESH = {
  name: 'colloquy_refresh',
  text: `SELECT q.i::int AS i, c.no, c.bot_id, c.user_id, c.version, c.fence,
                CASE WHEN c.version = q.v THEN NULL ELSE c.state END AS state,
                a.last_seq, a.last_msg, a.data
           FROM unnest($1::text[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS q(id, v, h, i)
           JOIN conversations c ON c.id = q.id
           LEFT JOIN LATERAL (
             SELECT x.last_seq, x.last_msg, x.data FROM appends x
              WHERE x.conv = c.no AND x.last_seq > q.h ORDER BY x.last_seq DESC LIMIT $4
           ) a ON true`,
};
const APPEND = {
  name: 'colloquy_append',
  text: `SELECT o_i, o_ok, o_no, o_head, o_version, o_fence FROM ${APPEND_FUNCTION}(
           $1::text[], $2::text[], $3::text[], $4::boolean[], $5::bigint[], $6::bigint[], $7::bigint[],
           $8::bigint[], $9::bigint[], $10::text[], $11::int[], $12::bigint[], $13::bigint[], $14::text[])`,
};
const SINCE = {
  name: 'colloquy_since',
  text: `SELECT last_seq, data FROM appends WHERE conv = (SELECT no FROM conversations WHERE id = $1)
          AND last_seq > $2 ORDER BY last_seq LIMIT $3`,
};
const TOTAL = {
  name: 'colloquy_total',
  text: `SELECT c.no, coalesce((SELECT a.last_msg FROM appends a WHERE a.conv = c.no ORDER BY a.last_seq DESC LIMIT 1), 0) AS total
           FROM conversations c WHERE c.id = $1`,
};
const NEWEST_FIRST = {
  name: 'colloquy_newest_first',
  text: 'SELECT last_seq, last_msg, data FROM appends WHERE conv = $1 AND last_msg > $2 ORDER BY last_seq DESC',
};
const HEADS = {
  name: 'colloquy_heads',
  text: `SELECT c.id, coalesce((SELECT a.last_seq FROM appends a WHERE a.conv = c.no ORDER BY a.last_seq DESC LIMIT 1), 0) AS head
           FROM conversations c WHERE c.id = ANY($1::text[])`,
};

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

/** The conversation row from a refresh: the rows one query returned for it, over what this process held. */
function merge(id: string, old: ConvRow | undefined, found: readonly Refreshed[]): ConvRow {
  const first = found[0]!;
  const appends = found.filter((r) => r.last_seq !== null).sort((a, b) => a.last_seq! - b.last_seq!);
  const ref: ConversationRef = { id, botId: first.bot_id, userId: first.user_id };
  const state = first.state ?? old?.state ?? '{}';
  const value = first.state !== null || !old ? (JSON.parse(state) as ConversationState) : old.value;
  // Incremental when every append since the row this process held came back; rebuilt from the newest otherwise.
  const incremental = old !== undefined && appends.length < WINDOW_APPENDS;
  let origins = incremental ? old.origins : emptyRow(ref).origins;
  let lastAt = incremental ? old.lastAt : 0;
  const added: [string, number][] = [];
  for (const a of appends) {
    for (const e of decodeAppend({ last_seq: a.last_seq!, data: a.data! }, id)) {
      const key = originKey(e);
      if (key !== null) added.push([key, e.seq]);
      if (e.at > lastAt) lastAt = e.at;
    }
  }
  origins = origins.with(added);
  const newest = appends.at(-1);
  return {
    no: first.no,
    ref,
    head: newest ? newest.last_seq! : incremental ? old.head : 0,
    messages: newest ? newest.last_msg! : incremental ? old.messages : 0,
    lastAt,
    version: first.version,
    fence: first.fence,
    state,
    value,
    origins,
  };
}

/** Decide one append against its conversation as planned so far in this batch (cf. the SQLite store). */
function plan(op: Op, p: PendingAppend): AppendResult {
  const { entries, options } = p;
  const row = op.row;
  for (const e of entries) {
    const key = originKey(e);
    if (key === null) continue;
    const seq = row.origins.find(key);
    if (seq !== undefined) return { ok: false, reason: 'duplicate', seq };
  }
  if (options.fence !== undefined && options.fence < row.fence) return { ok: false, reason: 'fenced' };
  if (options.state && options.state.expectedVersion !== row.version) return { ok: false, reason: 'conflict' };

  const state = options.state ? JSON.stringify(options.state.value) : row.state;
  let { head, messages, lastAt } = row;
  const written: Entry[] = [];
  const added: [string, number][] = [];
  for (const e of entries) {
    head += 1;
    if (isMessage(e)) messages += 1;
    const key = originKey(e);
    if (key !== null) added.push([key, head]);
    written.push(placed(e, head, op.id));
    if (e.at > lastAt) lastAt = e.at;
  }
  if (entries.length > 0) op.appends.push({ lastSeq: head, lastMsg: messages, data: encodeAppend(entries) });
  if (options.fence !== undefined) op.fenceMin = op.fenceMin === null ? options.fence : Math.min(op.fenceMin, options.fence);
  op.stateChanged ||= options.state !== undefined;
  const version = options.state ? row.version + 1 : row.version;
  op.row = {
    no: row.no,
    ref: row.ref,
    head,
    messages,
    lastAt,
    version,
    fence: options.fence !== undefined ? Math.max(row.fence, options.fence) : row.fence,
    state,
    value: options.state ? options.state.value : row.value,
    origins: row.origins.with(added),
  };
  return { ok: true, entries: written, version };
}

/** The stored form of an entry: the same fields, plus its place in the log. */
const placed = (e: NewEntry, seq: number, conversationId: string): Entry => ({
  id: e.id,
  at: e.at,
  from: e.from,
  ...(e.sessionId !== undefined ? { sessionId: e.sessionId } : {}),
  body: e.body,
  ...(e.origin !== undefined ? { origin: e.origin } : {}),
  ...(e.audience !== undefined ? { audience: e.audience } : {}),
  ...(e.request !== undefined ? { request: e.request } : {}),
  seq,
  conversationId,
});

/** The append function's arguments for these conversations (see migrations.ts). */
function appendArgs(ops: readonly Op[]): unknown[] {
  const rows = ops.flatMap((o) => o.appends);
  return [
    ops.map((o) => o.id),
    ops.map((o) => o.from.ref.botId),
    ops.map((o) => o.from.ref.userId),
    ops.map((o) => o.from.no > 0),
    ops.map((o) => o.from.head),
    ops.map((o) => o.from.version),
    ops.map((o) => o.fenceMin),
    ops.map((o) => o.row.version),
    ops.map((o) => o.row.fence),
    ops.map((o) => (o.stateChanged ? o.row.state : null)),
    ops.map((o) => o.appends.length),
    rows.map((a) => a.lastSeq),
    rows.map((a) => a.lastMsg),
    rows.map((a) => a.data),
  ];
}
