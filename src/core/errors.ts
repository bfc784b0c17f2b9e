/**
 * THE error table. Every error Colloquy reports — as an HTTP error body, a WebSocket error frame or a
 * close code — comes from this table. `docs/errors.md` is generated from it and a test fails on drift.
 *
 * `close`: the WebSocket close code when this error ends the connection; `null` means the connection
 * stays open and the client gets an error frame instead.
 * `retryable`: whether the same request (or a reconnect, for close codes) may succeed later unchanged.
 *
 * Close-code rule: standard codes as Kore.ai documents them (1001 going away, 1002 protocol error,
 * 1007 invalid payload, 1008 policy, 1009 too big, 1011 internal). Colloquy's own codes are
 * 4000–4499 for "reconnect and resume" and 4500–4999 for "do not reconnect".
 */
export interface ErrorSpec {
  readonly http: number;
  readonly close: number | null;
  readonly retryable: boolean;
  readonly message: string;
}

export const ERRORS = {
  // --- frames and connections
  MALFORMED_FRAME: {
    http: 400, close: null, retryable: false,
    message: 'The frame is not valid JSON or does not have the shape of any known frame.',
  },
  PROTOCOL_VIOLATION: {
    http: 400, close: 1002, retryable: false,
    message: 'Too many malformed frames on this connection.',
  },
  INVALID_PAYLOAD: {
    http: 400, close: 1007, retryable: false,
    message: 'Frames must be UTF-8 text; binary or invalid UTF-8 data was received.',
  },
  PAYLOAD_TOO_LARGE: {
    http: 413, close: 1009, retryable: false,
    message: 'The frame or request body is larger than the configured limit.',
  },
  RATE_LIMITED: {
    http: 429, close: 1008, retryable: true,
    message: 'Too many messages; wait before sending more.',
  },
  USER_BLOCKED: {
    http: 403, close: 1008, retryable: false,
    message: 'This user is blocked from talking to this bot.',
  },
  BOT_SUSPENDED: {
    http: 403, close: 1008, retryable: false,
    message: 'This bot is suspended.',
  },
  SLOW_CONSUMER: {
    http: 503, close: 4001, retryable: true,
    message: 'The client did not read frames fast enough; reconnect to resume from the log.',
  },
  CONNECTION_REPLACED: {
    http: 409, close: 4501, retryable: false,
    message: 'A newer connection of the same device replaced this one.',
  },
  SHUTTING_DOWN: {
    http: 503, close: 1001, retryable: true,
    message: 'The server is shutting down; reconnect to another node.',
  },
  INTERNAL: {
    http: 500, close: 1011, retryable: true,
    message: 'An unexpected error occurred.',
  },
  STORE_UNAVAILABLE: {
    http: 503, close: null, retryable: true,
    message: 'The message could not be stored and was not accepted; send it again.',
  },
  STATE_CONFLICT: {
    http: 409, close: null, retryable: true,
    message: 'The conversation changed concurrently; the turn was not applied.',
  },
  FENCED: {
    http: 409, close: null, retryable: true,
    message: 'This node no longer holds the conversation lock; the write was refused.',
  },
  // --- HTTP requests and authentication
  BAD_REQUEST: {
    http: 400, close: null, retryable: false,
    message: 'The request is missing a required field or has an invalid value.',
  },
  NOT_FOUND: {
    http: 404, close: null, retryable: false,
    message: 'No such resource.',
  },
  UNAUTHORIZED: {
    http: 401, close: null, retryable: false,
    message: 'A valid bearer access token is required.',
  },
  TOKEN_EXPIRED: {
    http: 401, close: null, retryable: true,
    message: 'token expired',
  },
  TICKET_INVALID: {
    http: 401, close: null, retryable: true,
    message: 'The connect URL is unknown, already used or expired; call rtm/start again.',
  },
  JWT_INVALID: {
    http: 401, close: null, retryable: false,
    message: 'error verifying the jwt: the assertion is malformed or its signature does not verify.',
  },
  JWT_EXPIRED: {
    http: 401, close: null, retryable: false,
    message: 'error verifying the jwt: the assertion has expired or is not yet valid.',
  },
  JWT_REPLAY: {
    http: 401, close: null, retryable: false,
    message: 'error verifying the jwt: this "jti" was already used (possibly a replay).',
  },
  JWT_JTI_LIFETIME: {
    http: 401, close: null, retryable: false,
    message: 'error verifying the jwt: with a "jti" claim, "exp" must be at most 1 hour after now.',
  },
  ALGORITHM_NOT_ALLOWED: {
    http: 401, close: null, retryable: false,
    message: 'error verifying the jwt: the signing algorithm is not allowed for this app.',
  },
  UNKNOWN_CLIENT: {
    http: 401, close: null, retryable: false,
    message: 'error verifying the jwt: no SDK app has this client id ("iss").',
  },
  BOT_NOT_FOUND: {
    http: 404, close: null, retryable: false,
    message: 'No bot has this id.',
  },
  BOT_NOT_ALLOWED: {
    http: 403, close: null, retryable: false,
    message: 'This app or token is not bound to this bot.',
  },
  ORIGIN_NOT_ALLOWED: {
    http: 403, close: null, retryable: false,
    message: 'Requests from this origin are not allowed.',
  },
  // --- Aisera conversation API (docs/protocols/aisera.md): error frames keep the connection open
  MALFORMED_JSON: {
    http: 400, close: null, retryable: false,
    message: 'The request is not JSON, or its root is not an object.',
  },
  INVALID_REQUEST: {
    http: 400, close: null, retryable: false,
    message: 'The request envelope is missing a required field or has an invalid value (see errors[].path).',
  },
  EMPTY_REQUEST: {
    http: 400, close: null, retryable: false,
    message: 'The request asks for nothing: no text, follow-up, form, history, reset or type.',
  },
  CONFLICTING_REQUEST: {
    http: 400, close: null, retryable: false,
    message: 'The request sets fields that contradict each other.',
  },
  AMBIGUOUS_USER_ID: {
    http: 400, close: null, retryable: false,
    message: 'The request carries both userId and userid with different values.',
  },
  UNKNOWN_REQUEST_TYPE: {
    http: 400, close: null, retryable: false,
    message: 'The request type is not one this server accepts.',
  },
  BINARY_FRAME: {
    http: 400, close: 1003, retryable: false,
    message: 'This endpoint accepts text frames only.',
  },
  TOKEN_MISSING: {
    http: 401, close: null, retryable: false,
    message: 'The request carries no token.',
  },
  TOKEN_INVALID: {
    http: 401, close: null, retryable: false,
    message: 'The token is not a valid channel key or user token.',
  },
  AUTH_FAILURES: {
    http: 401, close: 1008, retryable: false,
    message: 'Too many consecutive requests with a bad token on this connection.',
  },
  IDENTITY_MISMATCH: {
    http: 403, close: null, retryable: false,
    message: 'The token was issued for another user (or email) than the request names.',
  },
  CHANNEL_MISMATCH: {
    http: 403, close: null, retryable: false,
    message: 'The token was issued for another channel than the request names.',
  },
  FORBIDDEN_REQUEST_TYPE: {
    http: 403, close: null, retryable: false,
    message: 'This kind of token may not send this request type.',
  },
  CHANNEL_NOT_FOUND: {
    http: 404, close: null, retryable: false,
    message: 'No channel has this id.',
  },
  HANDOFF_NOT_FOUND: {
    http: 404, close: null, retryable: false,
    message: 'No live-agent handoff has this id.',
  },
  DUPLICATE_REQ_ID: {
    http: 409, close: null, retryable: true,
    message: 'A request with this reqId is still being processed in this session.',
  },
  FOLLOWUP_EXPIRED: {
    http: 409, close: null, retryable: false,
    message: 'This followUpId was not issued in the current session (or the session ended).',
  },
  FORM_NOT_PENDING: {
    http: 409, close: null, retryable: false,
    message: 'No form with this formId is waiting for an answer in the current session.',
  },
  FORM_ALREADY_SUBMITTED: {
    http: 409, close: null, retryable: false,
    message: 'This form was already submitted.',
  },
  HANDOFF_STATE_CONFLICT: {
    http: 409, close: null, retryable: false,
    message: 'The handoff is not in a state that allows this (e.g. another agent already picked it up).',
  },
  AGENT_NOT_FOUND: {
    http: 404, close: null, retryable: false,
    message: 'No agent has this id.',
  },
  AGENT_AT_CAPACITY: {
    http: 409, close: null, retryable: true,
    message: 'The agent already handles as many conversations as their capacity allows.',
  },
  AGENT_REMOVED: {
    http: 403, close: 1008, retryable: false,
    message: 'This agent account was removed; the console is closed.',
  },
  AGENT_PASSWORD_CHANGED: {
    http: 401, close: 1008, retryable: false,
    message: 'The password of this agent account changed; sign in again.',
  },
  BAD_CREDENTIALS: {
    http: 401, close: null, retryable: false,
    message: 'Unknown agent or wrong password.',
  },
  FORM_VALIDATION_FAILED: {
    http: 422, close: null, retryable: false,
    message: 'Some form fields are invalid (see errors[]); the form is still pending.',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** The one error type of the core. Adapters turn it into an HTTP body, an error frame or a close code. */
export class CoreError extends Error {
  readonly code: ErrorCode;
  readonly spec: ErrorSpec;
  /** Extra machine-readable data (e.g. `retryAfterMs`). */
  readonly data: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, detail?: string, data?: Record<string, unknown>) {
    const spec = ERRORS[code];
    super(detail ?? spec.message);
    this.name = 'CoreError';
    this.code = code;
    this.spec = spec;
    this.data = data;
  }
}

export const isCoreError = (e: unknown): e is CoreError => e instanceof CoreError;

/** Map any thrown value to a CoreError (unknown failures become INTERNAL). */
export const toCoreError = (e: unknown): CoreError => (isCoreError(e) ? e : new CoreError('INTERNAL'));
