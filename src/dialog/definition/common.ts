import { Type } from '@sinclair/typebox';

/** Schema pieces shared by the flow files and bot.yaml / entities.yaml. */

export const Id = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]{0,63}$' });
export const Text = Type.String({ minLength: 1, maxLength: 4000 });
export const Json = Type.Unknown();

export const OptionSchema = Type.Union([
  Type.String({ minLength: 1 }),
  Type.Object(
    { value: Type.String({ minLength: 1 }), label: Type.Optional(Text), synonyms: Type.Optional(Type.Array(Type.String({ minLength: 1 }))) },
    { additionalProperties: false },
  ),
]);
