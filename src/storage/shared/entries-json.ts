/**
 * The entries of an append as both stores keep them: one JSON array per append, in seq order, the entries
 * exactly as the core wrote them (their `seq` and conversation are implied by the row).
 */
import { FixedMemo } from '../../core/fixed-json.js';
import type { Entry, NewEntry } from '../../core/model.js';

const contentJson = new FixedMemo<string>((content) => JSON.stringify(content));

/** One entry's JSON; a bot message whose content is fixed (frozen) reuses that content's JSON. */
function entryJson(e: NewEntry): string {
  const body = e.body;
  const content = body.kind === 'bot_message' ? contentJson.get(body.content) : undefined;
  if (content === undefined) return JSON.stringify(e);
  const { body: _body, ...rest } = e;
  return `${JSON.stringify(rest).slice(0, -1)},"body":{"kind":"bot_message","content":${content}}}`;
}

/** An append's entries as stored: a JSON array of the entries exactly as the core wrote them. */
export function encodeAppend(entries: readonly NewEntry[]): string {
  let out = '[';
  for (let i = 0; i < entries.length; i++) out += (i > 0 ? ',' : '') + entryJson(entries[i]!);
  return `${out}]`;
}

/** The entries of a stored append (its JSON and the seq of its last entry), with their seq. */
export function decodeAppend(row: { readonly last_seq: number; readonly data: string }, conversationId: string): Entry[] {
  const stored = JSON.parse(row.data) as (NewEntry & { seq: number; conversationId: string })[];
  const first = row.last_seq - stored.length + 1;
  for (let i = 0; i < stored.length; i++) {
    stored[i]!.seq = first + i;
    stored[i]!.conversationId = conversationId;
  }
  return stored;
}

export const isMessage = (e: { readonly body: NewEntry['body'] }): boolean => e.body.kind === 'user_message' || e.body.kind === 'bot_message';

/** The dedupe key of a user-originated entry: device + the client's own message id. */
export const originKey = (e: Pick<NewEntry, 'origin'>): string | null =>
  e.origin?.clientMessageId !== undefined ? `${e.origin.deviceId}\u0000${e.origin.clientMessageId}` : null;
