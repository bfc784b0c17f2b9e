import type { ConversationRef, ConversationState, Entry, NewEntry } from '../../core/model.js';
import { placedEntry } from '../../core/shapes.js';
import { DEDUPE_WINDOW, type AppendOptions, type AppendResult } from '../../core/ports/store.js';
import { decodeAppend, emptyRow, encodeAppend, isMessage, originKey, type ConvRow } from './rows.js';

/**
 * The pure part of the PostgreSQL store's group commit: rebuilding a conversation row from what a refresh
 * returned, planning appends against it (seq, dedupe, version and fence), and the append function's
 * arguments. No I/O here; `store.ts` queues, refreshes and commits.
 */

export interface PendingAppend {
  readonly ref: ConversationRef;
  readonly entries: readonly NewEntry[];
  readonly options: AppendOptions;
  readonly resolve: (r: AppendResult) => void;
  readonly reject: (e: unknown) => void;
  /** Times this append was planned on a row that turned out stale. */
  attempts: number;
}

export type Outcome = { readonly result: AppendResult } | { readonly error: unknown };

/** One conversation's part of a group commit: the row it was planned from, and what to write. */
export interface Op {
  readonly id: string;
  readonly from: ConvRow;
  row: ConvRow;
  /** The lowest fencing token among the appends (the database's fence must not exceed it). */
  fenceMin: number | null;
  stateChanged: boolean;
  readonly appends: { readonly lastSeq: number; readonly lastMsg: number; readonly data: string }[];
  readonly items: { readonly op: PendingAppend; readonly outcome: Outcome }[];
}

export interface Refreshed {
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
export const WINDOW_APPENDS = 2 * DEDUPE_WINDOW;

/** The conversation row from a refresh: the rows one query returned for it, over what this process held. */
export function merge(id: string, old: ConvRow | undefined, found: readonly Refreshed[]): ConvRow {
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
export function plan(op: Op, p: PendingAppend): AppendResult {
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
    written.push(placedEntry(e, head, op.id));
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

/** The append function's arguments for these conversations (see migrations.ts). */
export function appendArgs(ops: readonly Op[]): unknown[] {
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
