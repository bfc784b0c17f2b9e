import { Type, type Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { CoreError } from '../../core/errors.js';

/**
 * Client frames of the native agent protocol (docs/protocols/native.md): one JSON object per WebSocket text
 * frame, told apart by `type`. Pure: text in, a typed frame or a CoreError out. Any frame may carry `ref`,
 * which an error frame about it echoes.
 */

const NO_CONTROLS = '^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*$';
const ID = Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\u0000-\\u001F\\u007F]*$' });
const Ref = Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Integer()]));
const frame = <T extends string, P extends Record<string, import('@sinclair/typebox').TSchema>>(type: T, props: P) =>
  Type.Object({ type: Type.Literal(type), ref: Ref, ...props }, { additionalProperties: false });

export const MAX_TEXT = 4000;
export const MAX_NOTE = 1000;
export const MAX_RESUME = 50;

const Status = frame('status', { status: Type.Union([Type.Literal('available'), Type.Literal('away')]) });
const Accept = frame('accept', { handoffId: ID });
const Send = frame('send', { handoffId: ID, text: Type.String({ minLength: 1, maxLength: MAX_TEXT, pattern: NO_CONTROLS }), clientId: ID });
const Typing = frame('typing', { handoffId: ID, typing: Type.Boolean() });
const Transfer = frame('transfer', {
  handoffId: ID,
  queue: Type.Optional(ID),
  agentId: Type.Optional(ID),
  note: Type.Optional(Type.String({ maxLength: MAX_NOTE, pattern: NO_CONTROLS })),
});
const Close = frame('close', { handoffId: ID });
const Resume = frame('resume', {
  chats: Type.Array(
    Type.Object({ handoffId: ID, conversationId: ID, afterSeq: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
    { maxItems: MAX_RESUME },
  ),
});
const Ping = frame('ping', {});

const SCHEMAS = { status: Status, accept: Accept, send: Send, typing: Typing, transfer: Transfer, close: Close, resume: Resume, ping: Ping };

export type ClientFrame =
  | Static<typeof Status>
  | Static<typeof Accept>
  | Static<typeof Send>
  | Static<typeof Typing>
  | Static<typeof Transfer>
  | Static<typeof Close>
  | Static<typeof Resume>
  | Static<typeof Ping>;

export type FrameType = keyof typeof SCHEMAS;

const ajv = new Ajv({ allErrors: false, strict: false });
const validators = Object.fromEntries(Object.entries(SCHEMAS).map(([k, s]) => [k, ajv.compile(s)])) as Record<FrameType, ReturnType<typeof ajv.compile>>;

/** A refused frame: the error, and the `ref` to echo when the frame had a readable one. */
export interface Refused {
  readonly error: CoreError;
  readonly ref?: string | number;
}

const refOf = (v: Record<string, unknown>): string | number | undefined => {
  const r = v['ref'];
  return (typeof r === 'string' && r.length <= 64) || (typeof r === 'number' && Number.isInteger(r)) ? r : undefined;
};

export function decodeClientFrame(text: string): ClientFrame | Refused {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: new CoreError('MALFORMED_FRAME', 'The frame is not JSON.') };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: new CoreError('MALFORMED_FRAME', 'A frame is a JSON object.') };
  const obj = value as Record<string, unknown>;
  const ref = refOf(obj);
  const withRef = (error: CoreError): Refused => (ref !== undefined ? { error, ref } : { error });
  const type = obj['type'];
  if (typeof type !== 'string' || !Object.hasOwn(SCHEMAS, type)) return withRef(new CoreError('MALFORMED_FRAME', `Unknown frame type ${JSON.stringify(String(type).slice(0, 32))}.`));
  const validate = validators[type as FrameType];
  if (!validate(obj)) {
    const e = validate.errors?.[0];
    return withRef(new CoreError('MALFORMED_FRAME', `Invalid "${type}" frame: ${e ? `${e.instancePath || '/'} ${e.message ?? ''}`.trim() : 'bad shape'}.`));
  }
  if (obj['type'] === 'transfer' && (obj['queue'] === undefined) === (obj['agentId'] === undefined)) {
    return withRef(new CoreError('MALFORMED_FRAME', 'A transfer names either a queue or an agentId.'));
  }
  return obj as ClientFrame;
}

export const isRefused = (d: ClientFrame | Refused): d is Refused => 'error' in d;
