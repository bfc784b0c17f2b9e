import { Ajv, type ErrorObject } from 'ajv';
import { CoreError, type ErrorCode } from '../../core/errors.js';
import type { FormValue, SessionValue } from '../../core/model.js';
import {
  AGENT_REQUEST_TYPES,
  EnvelopeSchema,
  GO_BACK_ID,
  KNOWN_CAPABILITIES,
  KNOWN_DATA,
  KNOWN_TOP,
  REQUEST_TYPES,
  SESSION_VARS_MAX_BYTES,
  type Envelope,
  type ReqId,
} from './schema.js';

/**
 * Envelope validation and classification (docs/protocols/aisera.md §2): pure. A request either becomes an
 * {@link AiseraRequest} of exactly one kind, or a {@link Rejection} naming every problem found — which the
 * adapter answers with an `Error` frame and no change to any session.
 */

export type RequestKind =
  | { readonly type: 'agent'; readonly requestType: string }
  | { readonly type: 'sessionTimeout' }
  | { readonly type: 'endSessionSurvey' }
  | { readonly type: 'reset' }
  | { readonly type: 'history' }
  | { readonly type: 'goBack' }
  | { readonly type: 'startOver' }
  | { readonly type: 'form'; readonly formId: string; readonly values: Readonly<Record<string, FormValue>> }
  | { readonly type: 'followUp'; readonly followUpId: string }
  | { readonly type: 'logout' }
  | { readonly type: 'exit' }
  | { readonly type: 'knowledge' }
  | { readonly type: 'message' };

export interface Capabilities {
  readonly isFormSupported?: boolean;
  readonly isPopupSupported?: boolean;
  readonly isStreamingSupported?: boolean;
}

/** The agent-side fields of a request (docs/protocols/aisera.md §4.5), as sent. */
export interface AgentFields {
  readonly handoffId?: string;
  readonly agent?: { readonly id: string; readonly name?: string };
  readonly target?: { readonly queueId?: string; readonly agentId?: string };
  readonly note?: string;
  readonly reason?: string;
  readonly typing?: boolean;
}

export interface AiseraRequest {
  readonly token: string;
  readonly userId: string;
  readonly userEmail?: string;
  readonly channelId: string;
  readonly reqId: ReqId;
  readonly kind: RequestKind;
  /** `data.text` as sent ('' when absent). */
  readonly text: string;
  readonly sessionVars: Readonly<Record<string, SessionValue>>;
  readonly userFullName?: string;
  readonly capabilities?: Capabilities;
  /** Agent side: what the request names (only agent principals' requests read it). */
  readonly live: AgentFields;
  readonly warnings: readonly string[];
}

export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

/** A refused request, with what could be read of it for the error frame. */
export interface Rejection {
  readonly error: CoreError;
  readonly errors: readonly FieldProblem[];
  readonly reqId: ReqId | null;
  readonly userId: string | null;
  readonly channelId: string | null;
}

export const isRejection = (x: AiseraRequest | Rejection): x is Rejection => (x as Rejection).error instanceof CoreError;

/** Exit commands (Aisera: `exit` always works; the flow exit command defaults to `Cancel`). */
const EXIT_COMMANDS = new Set(['exit', 'cancel']);

const ajv = new Ajv({ allErrors: true, strict: false });
const validateEnvelope = ajv.compile<Envelope>(EnvelopeSchema);

const pathOf = (e: ErrorObject): string => {
  const base = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const missing = (e.params as { missingProperty?: string }).missingProperty;
  return missing !== undefined ? (base ? `${base}.${missing}` : missing) : base || '$';
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parse a text frame or body (the JSON root must be an object). */
export function parseRequest(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    return new ParseFailure((err as Error).message);
  }
}

export class ParseFailure {
  constructor(readonly message: string) {}
}

/** Validate and classify one request (a parsed JSON value). */
export function decodeRequest(raw: unknown): AiseraRequest | Rejection {
  if (raw instanceof ParseFailure) return reject('MALFORMED_JSON', [{ path: '$', message: raw.message }], null);
  if (!isObject(raw)) return reject('MALFORMED_JSON', [{ path: '$', message: 'the request must be a JSON object' }], null);
  const data = isObject(raw['data']) ? raw['data'] : undefined;
  const echo = {
    reqId: typeof data?.['reqId'] === 'string' || Number.isSafeInteger(data?.['reqId']) ? (data!['reqId'] as ReqId) : null,
    userId: typeof raw['userId'] === 'string' ? raw['userId'] : typeof raw['userid'] === 'string' ? raw['userid'] : null,
    channelId: typeof raw['channelId'] === 'string' ? raw['channelId'] : null,
  };
  const fail = (code: ErrorCode, path: string, message: string) => reject(code, [{ path, message }], echo);
  if (typeof raw['token'] !== 'string' || raw['token'] === '') return fail('TOKEN_MISSING', 'token', 'is required');
  if (!validateEnvelope(raw)) {
    return reject('INVALID_REQUEST', onePerPath(validateEnvelope.errors ?? []), echo);
  }
  const env = raw;
  const d = env.data;
  const warnings: string[] = [];

  // Who: userId or userid (seven of the seed's nine samples say `userid`); two different values are refused.
  if (env.userId === undefined && env.userid === undefined) return fail('INVALID_REQUEST', 'userId', 'is required (userId or userid)');
  if (env.userId !== undefined && env.userid !== undefined && env.userId !== env.userid) return fail('AMBIGUOUS_USER_ID', 'userid', 'differs from userId');
  if (env.userId === undefined) warnings.push('userid: read as userId');
  const userId = (env.userId ?? env.userid)!;

  // The request type may also be given at the top level; both must agree.
  if (env.type !== undefined && d.type !== undefined && env.type !== d.type) return fail('CONFLICTING_REQUEST', 'type', 'differs from data.type');
  const type = d.type ?? env.type;
  if (type !== undefined && !(REQUEST_TYPES as readonly string[]).includes(type)) return fail('UNKNOWN_REQUEST_TYPE', d.type !== undefined ? 'data.type' : 'type', `"${type}" is not a request type`);
  if (d.channelId !== undefined && d.channelId !== env.channelId) return fail('CONFLICTING_REQUEST', 'data.channelId', 'differs from channelId');

  const sessionVars = d.sessionVars ?? {};
  if (Buffer.byteLength(JSON.stringify(sessionVars)) > SESSION_VARS_MAX_BYTES) return fail('INVALID_REQUEST', 'data.sessionVars', `is larger than ${SESSION_VARS_MAX_BYTES} bytes`);
  const varEmail = sessionVars['userEmail'];
  if (varEmail !== undefined && env.userEmail !== undefined && String(varEmail).toLowerCase() !== env.userEmail.toLowerCase()) {
    return fail('CONFLICTING_REQUEST', 'data.sessionVars.userEmail', 'differs from userEmail');
  }

  // At most one action selector; the reserved go-back id is part of followUpContext, not a selector.
  const reserved = d.followUpId === GO_BACK_ID;
  const selectors = [
    type !== undefined && 'type',
    d.isReset === true && 'data.isReset',
    d.needsSessionHistory === true && 'data.needsSessionHistory',
    d.followUpContext !== undefined && 'data.followUpContext',
    d.followUpData !== undefined && 'data.followUpData',
    d.followUpId !== undefined && !reserved && 'data.followUpId',
  ].filter((s): s is string => s !== false);
  if (selectors.length > 1) return fail('CONFLICTING_REQUEST', selectors[1]!, `cannot be combined with ${selectors[0]}`);
  if (d.isKL === true && selectors.length > 0) return fail('CONFLICTING_REQUEST', 'data.isKL', `cannot be combined with ${selectors[0]}`);
  if (reserved && d.followUpContext === undefined) return fail('INVALID_REQUEST', 'data.followUpContext', `is required with followUpId ${GO_BACK_ID}`);
  if (d.followUpContext !== undefined && !reserved) return fail('INVALID_REQUEST', 'data.followUpId', `must be ${GO_BACK_ID} with followUpContext`);
  if (d.followUpId?.startsWith('_') && !reserved) return fail('FOLLOWUP_EXPIRED', 'data.followUpId', 'is not a reserved id and was not issued by this server');
  const text = d.text ?? '';
  if (d.needsSessionHistory === true && text.trim() !== '') return fail('CONFLICTING_REQUEST', 'data.text', 'must be empty with needsSessionHistory');
  if (d.isReset === true && text.trim() !== '') warnings.push('data.text: ignored with isReset');

  for (const k of Object.keys(env)) if (!KNOWN_TOP.has(k)) warnings.push(`${k}: unknown field, ignored`);
  for (const k of Object.keys(d)) if (!KNOWN_DATA.has(k)) warnings.push(`data.${k}: unknown field, ignored`);
  for (const k of Object.keys(d.channelCapabilities ?? {})) if (!KNOWN_CAPABILITIES.has(k)) warnings.push(`data.channelCapabilities.${k}: unknown capability, ignored`);

  const kind = classify(type, d, text);
  if (!kind) return fail('EMPTY_REQUEST', 'data', 'has no text, follow-up, form, history, reset or type');
  const caps = d.channelCapabilities;
  return {
    token: env.token,
    userId,
    ...(env.userEmail !== undefined ? { userEmail: env.userEmail } : {}),
    channelId: env.channelId,
    reqId: d.reqId,
    kind,
    text,
    sessionVars,
    ...(d.userFullName !== undefined ? { userFullName: d.userFullName } : {}),
    live: {
      ...(d.handoffId !== undefined ? { handoffId: d.handoffId } : {}),
      ...(d.agent !== undefined ? { agent: { id: d.agent.id, ...(d.agent.name !== undefined ? { name: d.agent.name } : {}) } } : {}),
      ...(d.target !== undefined ? { target: d.target } : {}),
      ...(d.note !== undefined ? { note: d.note } : {}),
      ...(d.reason !== undefined ? { reason: d.reason } : {}),
      ...(d.typing !== undefined ? { typing: d.typing } : {}),
    },
    ...(caps ? { capabilities: { ...(caps.isFormSupported !== undefined ? { isFormSupported: caps.isFormSupported } : {}), ...(caps.isPopupSupported !== undefined ? { isPopupSupported: caps.isPopupSupported } : {}), ...(caps.isStreamingSupported !== undefined ? { isStreamingSupported: caps.isStreamingSupported } : {}) } } : {}),
    warnings,
  };
}

/** The classification order of §2.5 (after validation and authentication). */
function classify(type: string | undefined, d: Envelope['data'], text: string): RequestKind | undefined {
  if (type !== undefined) {
    if (AGENT_REQUEST_TYPES.has(type)) return { type: 'agent', requestType: type };
    return type === 'SessionTimeout' ? { type: 'sessionTimeout' } : { type: 'endSessionSurvey' };
  }
  if (d.isReset === true) return { type: 'reset' };
  if (d.needsSessionHistory === true) return { type: 'history' };
  if (d.followUpContext) return d.followUpContext.type === 'FlowGoBack' ? { type: 'goBack' } : { type: 'startOver' };
  if (d.followUpData) return { type: 'form', formId: d.followUpData.formId, values: d.followUpData.formFieldValues };
  if (d.followUpId !== undefined) return { type: 'followUp', followUpId: d.followUpId };
  const command = text.trim().toLowerCase();
  if (command === '') return undefined;
  if (command === '/logout') return { type: 'logout' };
  if (EXIT_COMMANDS.has(command)) return { type: 'exit' };
  if (d.isKL === true) return { type: 'knowledge' };
  return { type: 'message' };
}

function reject(code: ErrorCode, errors: readonly FieldProblem[], echo: Omit<Rejection, 'error' | 'errors'> | null): Rejection {
  return { error: new CoreError(code), errors, reqId: echo?.reqId ?? null, userId: echo?.userId ?? null, channelId: echo?.channelId ?? null };
}

/** One problem per field: a value that fits none of a union's types is said once, not once per type. */
function onePerPath(errors: readonly ErrorObject[]): FieldProblem[] {
  const byPath = new Map<string, FieldProblem>();
  for (const e of errors) {
    const path = pathOf(e);
    if (e.keyword === 'anyOf') byPath.set(path, { path, message: 'has an invalid type or value' });
    else if (!byPath.has(path)) byPath.set(path, { path, message: e.message ?? 'is invalid' });
  }
  return [...byPath.values()];
}
