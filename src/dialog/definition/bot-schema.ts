import { Type, type Static } from '@sinclair/typebox';
import { Id, Json, OptionSchema, Text } from './common.js';

/** `bot.yaml` and `entities.yaml` of a bot definition (the flows' schema is in schema.ts). */

// --- entities.yaml ---------------------------------------------------------------------------

const EntitySchema = Type.Union([
  Type.Object({ type: Type.Literal('choice'), options: Type.Array(OptionSchema, { minItems: 1, maxItems: 500 }) }, { additionalProperties: false }),
  Type.Object(
    { type: Type.Literal('regex'), pattern: Type.String({ minLength: 1 }), format: Type.Optional(Type.String({ minLength: 1 })) },
    { additionalProperties: false },
  ),
]);
export type EntityDef = Static<typeof EntitySchema>;
export const EntitiesSchema = Type.Object(
  { entities: Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$' }), EntitySchema) },
  { additionalProperties: false },
);

// --- bot.yaml --------------------------------------------------------------------------------

export const SYSTEM_INTENTS = ['help', 'cancel', 'startOver', 'goBack', 'agent'] as const;
export type SystemIntent = (typeof SYSTEM_INTENTS)[number];

export const MESSAGE_KEYS = [
  'fallback',
  'ambiguous',
  'help',
  'cancelled',
  'nothingToCancel',
  'cannotGoBack',
  'startingOver',
  'handoff',
  'resume',
  'retry',
  'tooManyRetries',
  'formIncomplete',
  'formPending',
  'serviceError',
  'skipped',
  'agentLeft',
  'noAgent',
] as const;
export type MessageKey = (typeof MESSAGE_KEYS)[number];

export const BotFileSchema = Type.Object(
  {
    name: Text,
    description: Type.Optional(Type.String()),
    language: Type.Optional(Type.Literal('en')),
    /** IANA time zone for dates ("tomorrow") and `{{system.today}}`. */
    timezone: Type.Optional(Type.String({ minLength: 1 })),
    /** Country for phone numbers written without a country code (ISO 3166 alpha-2). */
    defaultCountry: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$' })),
    /** Names usable as `{{secrets.NAME}}` in HTTP nodes; values come from the server, never from this file. */
    secrets: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Z][A-Z0-9_]{0,63}$' }))),
    nlu: Type.Optional(
      Type.Object(
        {
          threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
          ambiguityMargin: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
          interruptThreshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
          fuzzy: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    synonyms: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }))),
    welcome: Type.Optional(Id),
    fallback: Type.Optional(Id),
    /** The flow to run when a handoff ended because no agent took it in time (e.g. offer a ticket). */
    noAgent: Type.Optional(Id),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
    system: Type.Optional(
      Type.Partial(
        Type.Object(
          Object.fromEntries(
            SYSTEM_INTENTS.map((k) => [
              k,
              Type.Object(
                {
                  flow: Type.Optional(Id),
                  /** Keep the built-in commands and example phrasings (default true). */
                  builtin: Type.Optional(Type.Boolean()),
                  /** More exact commands ("back", "start over"). */
                  commands: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
                  /** More phrasings for the classifier. */
                  examples: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
                },
                { additionalProperties: false },
              ),
            ]),
          ),
        ),
        { additionalProperties: false },
      ),
    ),
    messages: Type.Optional(Type.Partial(Type.Object(Object.fromEntries(MESSAGE_KEYS.map((k) => [k, Text]))), { additionalProperties: false })),
    variables: Type.Optional(
      Type.Object({ session: Type.Optional(Type.Record(Type.String(), Json)), user: Type.Optional(Type.Record(Type.String(), Json)) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);

export interface BotFile {
  readonly name: string;
  readonly description?: string;
  readonly language?: 'en';
  readonly timezone?: string;
  readonly defaultCountry?: string;
  readonly secrets?: readonly string[];
  readonly nlu?: { threshold?: number; ambiguityMargin?: number; interruptThreshold?: number; fuzzy?: boolean };
  readonly synonyms?: Readonly<Record<string, readonly string[]>>;
  readonly welcome?: string;
  readonly fallback?: string;
  readonly noAgent?: string;
  readonly retries?: number;
  readonly system?: Partial<Record<SystemIntent, { flow?: string; builtin?: boolean; commands?: string[]; examples?: string[] }>>;
  readonly messages?: Partial<Record<MessageKey, string>>;
  readonly variables?: { session?: Record<string, unknown>; user?: Record<string, unknown> };
}
export type EntitiesFile = Static<typeof EntitiesSchema>;
