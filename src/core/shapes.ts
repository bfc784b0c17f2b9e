/**
 * Copies of entries and conversation states with some fields changed, written out field by field in one
 * order.
 *
 * Why not `{ ...state, session }`: when a spread copy gets a key its source did not have, V8 (Node 20) adds
 * it through its slow path and gives the result a hidden class of its own — about 1 µs per object, and every
 * later read of such objects (the state is read on every turn) sees a different class each time and misses
 * its inline cache. Built here, objects with the same fields share one class.
 */
import type { ConversationState, Entry, Handoff, NewEntry, OpenStream, RequestMark } from './model.js';

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** The stored form of an entry: the same fields, plus its place in the log (and nothing a caller happened to add). */
export function placedEntry(e: NewEntry, seq: number, conversationId: string): Entry {
  return withOptionalFields<Entry>({ id: e.id, at: e.at, from: e.from, body: e.body, seq, conversationId }, e, e.request);
}

/** `e` marked as caused by a client request (replacing any earlier mark). */
export function markedEntry(e: NewEntry, request: RequestMark): NewEntry {
  return withOptionalFields<NewEntry>({ id: e.id, at: e.at, from: e.from, body: e.body }, e, request);
}

function withOptionalFields<T extends NewEntry>(out: Writable<T>, e: NewEntry, request: RequestMark | undefined): T {
  if (e.sessionId !== undefined) out.sessionId = e.sessionId;
  if (e.origin !== undefined) out.origin = e.origin;
  if (e.audience !== undefined) out.audience = e.audience;
  if (request !== undefined) out.request = request;
  return out;
}

/** Fields a state change sets; a field given as `undefined` is removed. */
export interface StatePatch {
  readonly session?: ConversationState['session'] | undefined;
  readonly dialog?: unknown;
  readonly handoff?: Handoff | undefined;
  readonly stream?: OpenStream | undefined;
}

/** `base` with the fields of `patch` set (or removed). */
export function stateWith(base: ConversationState, patch: StatePatch): ConversationState {
  const session = 'session' in patch ? patch.session : base.session;
  const dialog = 'dialog' in patch ? patch.dialog : base.dialog;
  const handoff = 'handoff' in patch ? patch.handoff : base.handoff;
  const stream = 'stream' in patch ? patch.stream : base.stream;
  const out: Writable<ConversationState> = {};
  if (session !== undefined) out.session = session;
  if (dialog !== undefined) out.dialog = dialog;
  if (handoff !== undefined) out.handoff = handoff;
  if (stream !== undefined) out.stream = stream;
  return out;
}

// A field added to NewEntry or ConversationState must be copied above: these fail to compile until it is listed.
const ENTRY_FIELDS = { id: 0, at: 0, from: 0, body: 0, sessionId: 1, origin: 1, audience: 1, request: 1 } as const satisfies Record<keyof NewEntry, 0 | 1>;
const STATE_FIELDS = { session: 1, dialog: 1, handoff: 1, stream: 1 } as const satisfies Record<keyof ConversationState, 1>;
void ENTRY_FIELDS;
void STATE_FIELDS;
