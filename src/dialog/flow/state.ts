/**
 * The dialog state of one conversation, as stored in its state row (JSON, written with the row's optimistic
 * version, so any node can continue any conversation). It is small and bounded: the flow stack is at most
 * {@link MAX_STACK} deep and each flow keeps at most {@link MAX_STEPS} steps of history.
 */

export type Vars = Record<string, unknown>;

/** Where a flow waits for the user. */
export interface Wait {
  readonly node: string;
  /** Form nodes: the parts (one form, or one field) in order, and the part being answered. */
  readonly parts?: readonly Part[];
  readonly part?: number;
  /** The id of the form delivered for the current part. */
  readonly formId?: string;
  /** The frame waits for a sub-flow it started (a `flow` node), not for the user. */
  readonly call?: true;
  /** Failed answers so far at this point. */
  readonly tries: number;
}

/** A part of a form node: fields delivered as one form, or one field asked on its own. */
export type Part = { readonly form: readonly number[] } | { readonly field: number };

/** A waiting point passed, with the slots as they were before it was answered (for "go back"). */
export interface Step {
  readonly node: string;
  readonly part?: number;
  readonly parts?: readonly Part[];
  readonly slots: Vars;
}

export interface Frame {
  readonly flow: string;
  readonly run: string;
  node: string;
  slots: Vars;
  wait?: Wait;
  steps: Step[];
  /** The utterance that started the flow: prompts may take their answer from it. */
  trigger?: string;
}

export interface DialogState {
  readonly v: 1;
  /** The session these session variables and flows belong to; a new session starts afresh. */
  session: string;
  sessionVars: Vars;
  /** User variables outlive sessions. */
  userVars: Vars;
  /** Running flows, the active one last; those below were interrupted or called it. */
  stack: Frame[];
  /** The bot asked which of these intents the user meant, about this utterance. */
  choose?: { readonly text: string; readonly intents: readonly string[] };
  /** Counter for run and form ids. */
  seq: number;
}

export const MAX_STACK = 6;
export const MAX_STEPS = 24;
export const MAX_VALUE_BYTES = 16_384;

export function isState(v: unknown): v is DialogState {
  return typeof v === 'object' && v !== null && (v as { v?: unknown }).v === 1 && Array.isArray((v as { stack?: unknown }).stack);
}

/**
 * The state to work on for this turn: a copy of the stored one, or a fresh one. A new session keeps only
 * the user variables. `stored` is the stored state when the turn continues it: the turn compares against it
 * ({@link sameJson}) to tell whether anything changed.
 */
export function openState(stored: unknown, sessionId: string, defaults: { session: Vars; user: Vars }): { state: DialogState; stored: DialogState | undefined } {
  if (isState(stored) && stored.session === sessionId) return { state: cloneJson(stored), stored };
  const userVars = isState(stored) ? cloneJson(stored.userVars) : cloneJson(defaults.user);
  const state: DialogState = { v: 1, session: sessionId, sessionVars: cloneJson(defaults.session), userVars, stack: [], seq: isState(stored) ? stored.seq : 0 };
  return { state, stored: undefined };
}

const isPlain = (v: object): boolean => {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/**
 * A deep copy of a JSON value as JSON would make it (keys with `undefined` dropped). The state is plain
 * JSON, so this is exact; anything else (a `Date` a node put in a slot) takes the JSON round trip.
 */
export function cloneJson<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const out: unknown[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = v[i] === undefined ? null : cloneJson(v[i]);
    return out as T;
  }
  if (!isPlain(v)) return JSON.parse(JSON.stringify(v)) as T;
  const out: Record<string, unknown> = {};
  for (const k in v) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) out[k] = cloneJson(x);
  }
  return out as T;
}

/** Do two JSON values serialise alike (up to key order)? Keys holding `undefined` count as absent. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i] ?? null, b[i] ?? null)) return false;
    return true;
  }
  if (Array.isArray(b) || !isPlain(a) || !isPlain(b)) return JSON.stringify(a) === JSON.stringify(b);
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let n = 0;
  for (const k in x) {
    if (x[k] === undefined) continue;
    n++;
    if (!sameJson(x[k], y[k])) return false;
  }
  for (const k in y) if (y[k] !== undefined) n--;
  return n === 0;
}

export const top = (s: DialogState): Frame | undefined => s.stack[s.stack.length - 1];

/** A variable path's scope and key: `session.x`, `user.x`, `slots.x` or a bare `x` (a slot). */
export function scopeOf(path: readonly string[]): { scope: 'slots' | 'session' | 'user'; rest: readonly string[] } {
  const [head, ...rest] = path;
  if ((head === 'session' || head === 'user' || head === 'slots') && rest.length > 0) return { scope: head, rest };
  return { scope: 'slots', rest: path };
}

export function getPath(root: unknown, path: readonly string[]): unknown {
  let v = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

export function setPath(root: Vars, path: readonly string[], value: unknown): void {
  let o: Vars = root;
  for (const k of path.slice(0, -1)) {
    const next = o[k];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) o[k] = {};
    o = o[k] as Vars;
  }
  const last = path[path.length - 1]!;
  if (value === undefined) delete o[last];
  else o[last] = value;
}

/** Is this value small enough to keep in the state row? */
export const fits = (v: unknown): boolean => v === undefined || JSON.stringify(v).length <= MAX_VALUE_BYTES;
