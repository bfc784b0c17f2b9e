import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Id, Json, OptionSchema, Text } from './common.js';

/**
 * The bot definition format, as authored in YAML (docs/dialog.md is its reference). One folder per bot:
 * `bot.yaml`, `flows/*.yaml` (one flow per file), optionally `entities.yaml`. Validated with ajv; the
 * cross-references (node ids, flows, entities) are checked by `compile.ts`.
 */

/** A node id, or `end`. */
const Next = Id;

// --- content ---------------------------------------------------------------------------------

const ButtonSchema = Type.Union([
  Type.Object({ title: Text, payload: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false }),
  Type.Object({ title: Text, url: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
]);
const QuickReplySchema = Type.Union([
  Type.String({ minLength: 1 }),
  Type.Object({ title: Text, payload: Type.Optional(Type.String({ minLength: 1 })), image: Type.Optional(Type.String()) }, { additionalProperties: false }),
]);
const CardSchema = Type.Object(
  {
    title: Text,
    subtitle: Type.Optional(Type.String()),
    image: Type.Optional(Type.String()),
    url: Type.Optional(Type.String()),
    buttons: Type.Optional(Type.Array(ButtonSchema, { maxItems: 10 })),
  },
  { additionalProperties: false },
);

// --- conditions ------------------------------------------------------------------------------

const Comparison = Type.Object(
  {
    var: Type.String({ minLength: 1 }),
    equals: Type.Optional(Json),
    notEquals: Type.Optional(Json),
    gt: Type.Optional(Type.Union([Type.Number(), Type.String()])),
    gte: Type.Optional(Type.Union([Type.Number(), Type.String()])),
    lt: Type.Optional(Type.Union([Type.Number(), Type.String()])),
    lte: Type.Optional(Type.Union([Type.Number(), Type.String()])),
    in: Type.Optional(Type.Array(Json)),
    matches: Type.Optional(Type.String()),
    exists: Type.Optional(Type.Boolean()),
    empty: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type Condition =
  | Static<typeof Comparison>
  | { readonly all: readonly Condition[] }
  | { readonly any: readonly Condition[] }
  | { readonly not: Condition };
const ConditionSchema = Type.Unsafe<Condition>({
  $id: 'Condition',
  anyOf: [
    Comparison,
    { type: 'object', properties: { all: { type: 'array', items: { $ref: 'Condition' }, minItems: 1 } }, required: ['all'], additionalProperties: false },
    { type: 'object', properties: { any: { type: 'array', items: { $ref: 'Condition' }, minItems: 1 } }, required: ['any'], additionalProperties: false },
    { type: 'object', properties: { not: { $ref: 'Condition' } }, required: ['not'], additionalProperties: false },
  ],
});

// --- entities, prompts, forms ----------------------------------------------------------------

export type OptionDef = Static<typeof OptionSchema>;

export const BUILTIN_ENTITIES = ['text', 'number', 'date', 'email', 'phone', 'yesno', 'choice', 'regex'] as const;
export type BuiltinEntity = (typeof BUILTIN_ENTITIES)[number];

const Bound = Type.Union([Type.Number(), Type.String({ minLength: 1 })]);
const ValidateSchema = Type.Object(
  {
    min: Type.Optional(Bound),
    max: Type.Optional(Bound),
    minLength: Type.Optional(Type.Integer({ minimum: 0 })),
    maxLength: Type.Optional(Type.Integer({ minimum: 1 })),
    integer: Type.Optional(Type.Boolean()),
    pattern: Type.Optional(Type.String({ minLength: 1 })),
    message: Type.Optional(Text),
  },
  { additionalProperties: false },
);
export type ValidateDef = Static<typeof ValidateSchema>;

export const FIELD_TYPES = ['text', 'textarea', 'date', 'dropdown', 'radio', 'checkboxes', 'number', 'boolean'] as const;
const FieldSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$' }),
    label: Text,
    type: Type.Union(FIELD_TYPES.map((t) => Type.Literal(t))),
    required: Type.Optional(Type.Boolean()),
    placeholder: Type.Optional(Type.String()),
    /** The question asked when the field is asked on its own (default: the label). */
    prompt: Type.Optional(Text),
    options: Type.Optional(Type.Array(OptionSchema, { minItems: 1, maxItems: 50 })),
    min: Type.Optional(Bound),
    max: Type.Optional(Bound),
    maxLength: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    integer: Type.Optional(Type.Boolean()),
    maxSelected: Type.Optional(Type.Integer({ minimum: 1 })),
    default: Type.Optional(Json),
  },
  { additionalProperties: false },
);
export type FieldDef = Static<typeof FieldSchema>;

// --- nodes -----------------------------------------------------------------------------------

const common = { id: Type.Optional(Id), next: Type.Optional(Next) };
const node = <K extends string, T extends Record<string, TSchema>>(type: K, props: T) =>
  Type.Object({ type: Type.Literal(type), ...common, ...props }, { additionalProperties: false });

const MessageNode = node('message', {
  text: Type.Optional(Text),
  buttons: Type.Optional(Type.Array(ButtonSchema, { minItems: 1, maxItems: 10 })),
  quickReplies: Type.Optional(Type.Array(QuickReplySchema, { minItems: 1, maxItems: 13 })),
  carousel: Type.Optional(Type.Array(CardSchema, { minItems: 1, maxItems: 10 })),
  list: Type.Optional(
    Type.Object(
      {
        title: Type.Optional(Text),
        items: Type.Optional(Type.Array(CardSchema, { minItems: 1, maxItems: 10 })),
        /** Items from a variable holding a list (e.g. a service's answer): `item` is each one's card, `{{item.x}}`. */
        from: Type.Optional(Type.String({ minLength: 1 })),
        item: Type.Optional(CardSchema),
        buttons: Type.Optional(Type.Array(ButtonSchema)),
      },
      { additionalProperties: false },
    ),
  ),
  links: Type.Optional(Type.Array(Type.Object({ title: Text, url: Type.String({ minLength: 1 }) }, { additionalProperties: false }), { minItems: 1 })),
  image: Type.Optional(Type.String({ minLength: 1 })),
});
const retry = {
  retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
  retryText: Type.Optional(Text),
  onFail: Type.Optional(Next),
};
const PromptNode = node('prompt', {
  text: Text,
  entity: Type.String({ minLength: 1 }),
  save: Type.String({ minLength: 1 }),
  choices: Type.Optional(Type.Array(OptionSchema, { minItems: 1, maxItems: 50 })),
  multiple: Type.Optional(Type.Boolean()),
  pattern: Type.Optional(Type.String({ minLength: 1 })),
  validate: Type.Optional(ValidateSchema),
  present: Type.Optional(Type.Union([Type.Literal('quickReplies'), Type.Literal('buttons'), Type.Literal('none')])),
  fromTrigger: Type.Optional(Type.Boolean()),
  optional: Type.Optional(Type.Boolean()),
  help: Type.Optional(Text),
  ...retry,
});
const ConfirmNode = node('confirm', {
  text: Text,
  save: Type.Optional(Type.String({ minLength: 1 })),
  yes: Type.Optional(Next),
  no: Type.Optional(Next),
  yesLabel: Type.Optional(Text),
  noLabel: Type.Optional(Text),
  help: Type.Optional(Text),
  ...retry,
});
const FormNode = node('form', {
  title: Type.Optional(Text),
  description: Type.Optional(Text),
  submitLabel: Type.Optional(Text),
  fields: Type.Array(FieldSchema, { minItems: 1, maxItems: 30 }),
  save: Type.Optional(Type.String({ minLength: 1 })),
  help: Type.Optional(Text),
  ...retry,
});
const ConditionNode = node('condition', {
  branches: Type.Array(Type.Object({ when: ConditionSchema, next: Next }, { additionalProperties: false }), { minItems: 1 }),
  default: Type.Optional(Next),
});
const SetNode = node('set', { values: Type.Record(Type.String({ minLength: 1 }), Json) });
const HttpNode = node('http', {
  method: Type.Optional(Type.Union(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => Type.Literal(m)))),
  url: Type.String({ minLength: 1 }),
  headers: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.String())),
  query: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.String())),
  body: Type.Optional(Json),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 30_000 })),
  save: Type.Optional(Type.String({ minLength: 1 })),
  onError: Type.Optional(Next),
});
const HandoffNode = node('handoff', { text: Type.Optional(Text), queue: Type.Optional(Type.String()), reason: Type.Optional(Type.String()) });
const FlowNode = node('flow', { flow: Id });
const EndNode = node('end', {
  text: Type.Optional(Text),
  status: Type.Optional(Type.Union([Type.Literal('completed'), Type.Literal('exited'), Type.Literal('failed')])),
});

export const NODE_SCHEMAS = {
  message: MessageNode,
  prompt: PromptNode,
  confirm: ConfirmNode,
  form: FormNode,
  condition: ConditionNode,
  set: SetNode,
  http: HttpNode,
  handoff: HandoffNode,
  flow: FlowNode,
  end: EndNode,
} as const;
export type NodeType = keyof typeof NODE_SCHEMAS;
export type MessageNodeDef = Static<typeof MessageNode>;
export type PromptNodeDef = Static<typeof PromptNode>;
export type ConfirmNodeDef = Static<typeof ConfirmNode>;
export type FormNodeDef = Static<typeof FormNode>;
export type ConditionNodeDef = Static<typeof ConditionNode>;
export type SetNodeDef = Static<typeof SetNode>;
export type HttpNodeDef = Static<typeof HttpNode>;
export type HandoffNodeDef = Static<typeof HandoffNode>;
export type FlowNodeDef = Static<typeof FlowNode>;
export type EndNodeDef = Static<typeof EndNode>;
export type NodeDef =
  | MessageNodeDef
  | PromptNodeDef
  | ConfirmNodeDef
  | FormNodeDef
  | ConditionNodeDef
  | SetNodeDef
  | HttpNodeDef
  | HandoffNodeDef
  | FlowNodeDef
  | EndNodeDef;

/** A node: checked first for its `type`, then against that type's schema only (clear errors). */
export const NodeShape = Type.Object({ type: Type.Union(Object.keys(NODE_SCHEMAS).map((t) => Type.Literal(t))) });

export const FlowSchema = Type.Object(
  {
    id: Type.Optional(Id),
    title: Type.Optional(Text),
    description: Type.Optional(Type.String()),
    /** Phrases that start this flow (its intent). Without them it starts only from a payload or another flow. */
    examples: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 500 }), { maxItems: 500 })),
    /** May another intent interrupt this flow while it waits (it resumes afterwards)? Default true. */
    interruptible: Type.Optional(Type.Boolean()),
    /** Said when the flow resumes after an interruption (default: "Back to <title>."). */
    resumeText: Type.Optional(Text),
    nodes: Type.Array(Type.Object({}), { minItems: 1, maxItems: 500 }),
  },
  { additionalProperties: false },
);
export type FlowDef = Omit<Static<typeof FlowSchema>, 'nodes'> & { nodes: NodeDef[] };

export type FlowFile = Static<typeof FlowSchema>;
