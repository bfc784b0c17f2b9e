import { Type, type Static } from '@sinclair/typebox';

/**
 * The request envelope of the Aisera Conversation API / WebSocket as Colloquy accepts it
 * (docs/protocols/aisera.md §2): field types and limits. Rules across fields (spelling of `userId`,
 * conflicting selectors, classification) are in decode.ts.
 */

/** Request `type` values the seed lists, plus the agent-side typing extension. */
export const REQUEST_TYPES = ['LiveAgentPickUp', 'LiveAgentCompleted', 'LiveAgentTransfer', 'SessionTimeout', 'EndSessionSurvey', 'LiveAgentTyping'] as const;
export const AGENT_REQUEST_TYPES: ReadonlySet<string> = new Set(['LiveAgentPickUp', 'LiveAgentCompleted', 'LiveAgentTransfer', 'LiveAgentTyping']);
/** The one reserved (not server-issued) followUpId: go back / start over, told apart by `followUpContext`. */
export const GO_BACK_ID = '_go:back_';

// C0 controls other than tab, line feed and carriage return.
const NO_CONTROLS = '^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*$';
const ID = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '^[^\\u0000-\\u001F\\u007F]*$' });

const SessionValue = Type.Union([Type.String({ maxLength: 2048 }), Type.Number(), Type.Boolean(), Type.Null()]);
const FormValue = Type.Union([Type.String({ maxLength: 10_000 }), Type.Number(), Type.Boolean(), Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 200 })]);

export const DataSchema = Type.Object({
  reqId: Type.Union([Type.String({ minLength: 1, maxLength: 128 }), Type.Integer()]),
  type: Type.Optional(Type.String({ maxLength: 64 })),
  text: Type.Optional(Type.String({ maxLength: 4000, pattern: NO_CONTROLS })),
  sessionVars: Type.Optional(Type.Record(Type.String(), SessionValue, { maxProperties: 64, propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_.-]{0,63}$' } })),
  isKL: Type.Optional(Type.Boolean()),
  userFullName: Type.Optional(Type.String({ maxLength: 256, pattern: NO_CONTROLS })),
  channelId: Type.Optional(ID(128)),
  followUpId: Type.Optional(ID(256)),
  followUpData: Type.Optional(
    Type.Object({
      formId: ID(128),
      formFieldValues: Type.Record(Type.String({ maxLength: 128 }), FormValue, { maxProperties: 100 }),
    }),
  ),
  followUpContext: Type.Optional(Type.Object({ type: Type.Union([Type.Literal('FlowGoBack'), Type.Literal('FlowStartOver')]) })),
  channelCapabilities: Type.Optional(
    Type.Object({ isFormSupported: Type.Optional(Type.Boolean()), isPopupSupported: Type.Optional(Type.Boolean()), isStreamingSupported: Type.Optional(Type.Boolean()) }),
  ),
  needsSessionHistory: Type.Optional(Type.Boolean()),
  isReset: Type.Optional(Type.Boolean()),
  // Agent side (docs/protocols/aisera.md §4.5): the handoff a request acts on, the agent, a transfer's target and note, typing.
  handoffId: Type.Optional(ID(128)),
  agent: Type.Optional(Type.Object({ id: ID(256), name: Type.Optional(Type.String({ maxLength: 256, pattern: NO_CONTROLS })), avatarUrl: Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Null()])) })),
  target: Type.Optional(Type.Object({ queueId: Type.Optional(ID(128)), agentId: Type.Optional(ID(256)) })),
  note: Type.Optional(Type.String({ maxLength: 4000, pattern: NO_CONTROLS })),
  reason: Type.Optional(Type.String({ maxLength: 256, pattern: NO_CONTROLS })),
  typing: Type.Optional(Type.Boolean()),
});

export const EnvelopeSchema = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 4096 }),
  userId: Type.Optional(ID(256)),
  userid: Type.Optional(ID(256)),
  userEmail: Type.Optional(Type.String({ maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+$' })),
  channelId: ID(128),
  type: Type.Optional(Type.String({ maxLength: 64 })),
  data: DataSchema,
});

export type Envelope = Static<typeof EnvelopeSchema>;
export type EnvelopeData = Static<typeof DataSchema>;
export type ReqId = string | number;

/** Keys the schema knows; others are ignored and reported in `warnings`. */
export const KNOWN_TOP = new Set(Object.keys(EnvelopeSchema.properties));
export const KNOWN_DATA = new Set(Object.keys(DataSchema.properties));
export const KNOWN_CAPABILITIES = new Set(['isFormSupported', 'isPopupSupported', 'isStreamingSupported']);
/** Serialised `sessionVars` at most this large. */
export const SESSION_VARS_MAX_BYTES = 16 * 1024;
