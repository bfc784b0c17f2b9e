import type { FormField, FormFieldType, FormOption, FormValue } from '../../core/model.js';
import { ChoiceMatcher, type ChoiceOption, type Constraints, type EntitySpec } from '../nlu/entities/index.js';
import { isDayBound } from '../nlu/entities/values.js';
import type { Ask, CompiledField } from './compiled.js';
import type { EntityDef } from './bot-schema.js';
import { BUILTIN_ENTITIES, type FieldDef, type OptionDef, type PromptNodeDef, type ValidateDef } from './schema.js';

/** Compiling the parts of nodes that read values: prompt entities and form fields. Problems are returned. */

export interface Issue {
  /** Path below the node (e.g. `['validate', 'min']`). */
  readonly at: readonly (string | number)[];
  readonly message: string;
}

export const YES_NO: readonly ChoiceOption[] = [
  { value: 'yes', label: 'Yes' },
  { value: 'no', label: 'No' },
];

export function options(defs: readonly OptionDef[]): ChoiceOption[] {
  return defs.map((o) =>
    typeof o === 'string' ? { value: o, label: o } : { value: o.value, label: o.label ?? o.value, ...(o.synonyms ? { synonyms: o.synonyms } : {}) },
  );
}

function regex(pattern: string, at: (string | number)[], issues: Issue[]): RegExp | undefined {
  try {
    return new RegExp(pattern, 'i');
  } catch (err) {
    issues.push({ at, message: `invalid regular expression: ${(err as Error).message}` });
    return undefined;
  }
}

function bounds(kind: EntitySpec['kind'], v: ValidateDef | FieldDef, at: (string | number)[], issues: Issue[]): void {
  for (const key of ['min', 'max'] as const) {
    const b = v[key];
    if (b === undefined) continue;
    if (kind === 'number' && typeof b !== 'number') issues.push({ at: [...at, key], message: `${key} of a number must be a number` });
    else if (kind === 'date' && (typeof b !== 'string' || !isDayBound(b))) issues.push({ at: [...at, key], message: `${key} of a date must be "today", "today+N", "today-N" or YYYY-MM-DD` });
    else if (kind !== 'number' && kind !== 'date') issues.push({ at: [...at, key], message: `${key} applies to numbers and dates only (use minLength/maxLength for text)` });
  }
}

/** A prompt's entity: built in, or defined in entities.yaml; inline `choices`/`pattern` complete it. */
export function compilePrompt(def: PromptNodeDef, custom: ReadonlyMap<string, EntityDef>, issues: Issue[]): Ask | undefined {
  const c = custom.get(def.entity);
  const kind = c ? c.type : (BUILTIN_ENTITIES as readonly string[]).includes(def.entity) ? def.entity : undefined;
  if (kind === undefined) {
    issues.push({ at: ['entity'], message: `unknown entity "${def.entity}" (built in: ${BUILTIN_ENTITIES.join(', ')}; or define it in entities.yaml)` });
    return undefined;
  }
  const v = def.validate ?? {};
  const constraints: Constraints = {
    ...(v.min !== undefined ? { min: v.min } : {}),
    ...(v.max !== undefined ? { max: v.max } : {}),
    ...(v.minLength !== undefined ? { minLength: v.minLength } : {}),
    ...(v.maxLength !== undefined ? { maxLength: v.maxLength } : {}),
    ...(v.integer !== undefined ? { integer: v.integer } : {}),
    ...(v.message !== undefined ? { message: v.message } : {}),
    ...(v.pattern !== undefined ? { pattern: regex(v.pattern, ['validate', 'pattern'], issues) ?? /^/ } : {}),
  };
  bounds(kind as EntitySpec['kind'], v, ['validate'], issues);
  if (kind === 'choice') {
    const list = def.choices ? options(def.choices) : c?.type === 'choice' ? options(c.options) : undefined;
    if (!list) {
      issues.push({ at: ['choices'], message: 'a choice prompt needs "choices" (or a choice entity from entities.yaml)' });
      return undefined;
    }
    return { spec: { kind: 'choice', matcher: new ChoiceMatcher(list), multiple: def.multiple ?? false }, constraints, options: list };
  }
  if (def.choices) issues.push({ at: ['choices'], message: '"choices" belongs to choice prompts only' });
  if (def.multiple) issues.push({ at: ['multiple'], message: '"multiple" belongs to choice prompts only' });
  if (kind === 'regex') {
    const pattern = def.pattern ?? (c?.type === 'regex' ? c.pattern : undefined);
    if (pattern === undefined) {
      issues.push({ at: ['pattern'], message: 'a regex prompt needs "pattern" (or a regex entity from entities.yaml)' });
      return undefined;
    }
    const re = regex(pattern, ['pattern'], issues);
    if (!re) return undefined;
    const format = c?.type === 'regex' ? c.format : undefined;
    return { spec: { kind: 'regex', re, ...(format ? { format } : {}) }, constraints };
  }
  if (def.pattern) issues.push({ at: ['pattern'], message: '"pattern" belongs to regex prompts only (use validate.pattern)' });
  const spec = { kind: kind as 'text' | 'number' | 'date' | 'email' | 'phone' | 'yesno' };
  return { spec, constraints, ...(kind === 'yesno' ? { options: YES_NO } : {}) };
}

const CHOICE_TYPES: readonly FormFieldType[] = ['dropdown', 'radio', 'checkboxes'];

function defaultFits(f: FieldDef, value: unknown, opts: readonly FormOption[]): boolean {
  switch (f.type) {
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'checkboxes':
      return Array.isArray(value) && value.every((v) => opts.some((o) => o.value === v));
    case 'dropdown':
    case 'radio':
      return opts.some((o) => o.value === value);
    default:
      return typeof value === 'string';
  }
}

/** A form field: its channel-neutral description and how to read it when asked on its own. */
export function compileField(f: FieldDef, issues: Issue[]): CompiledField {
  const list = f.options ? options(f.options) : [];
  const isChoice = CHOICE_TYPES.includes(f.type);
  if (isChoice && list.length === 0) issues.push({ at: ['options'], message: `a ${f.type} field needs "options"` });
  if (!isChoice && f.options) issues.push({ at: ['options'], message: `"options" belongs to dropdown, radio and checkboxes fields` });
  const kind: EntitySpec['kind'] = f.type === 'number' ? 'number' : f.type === 'date' ? 'date' : f.type === 'boolean' ? 'yesno' : isChoice ? 'choice' : 'text';
  bounds(kind, f, [], issues);
  if (f.maxLength !== undefined && kind !== 'text') issues.push({ at: ['maxLength'], message: 'maxLength applies to text and textarea fields' });
  if (f.integer !== undefined && kind !== 'number') issues.push({ at: ['integer'], message: 'integer applies to number fields' });
  if (f.maxSelected !== undefined && f.type !== 'checkboxes') issues.push({ at: ['maxSelected'], message: 'maxSelected applies to checkboxes fields' });
  const formOptions: FormOption[] = list.map((o) => ({ value: o.value, label: o.label }));
  if (f.default !== undefined && !defaultFits(f, f.default, formOptions)) issues.push({ at: ['default'], message: `default does not fit a ${f.type} field` });
  const field: FormField = {
    name: f.name,
    label: f.label,
    type: f.type,
    ...(f.required !== undefined ? { required: f.required } : {}),
    ...(f.placeholder !== undefined ? { placeholder: f.placeholder } : {}),
    ...(isChoice ? { options: formOptions } : {}),
    ...(f.min !== undefined ? { min: f.min } : {}),
    ...(f.max !== undefined ? { max: f.max } : {}),
    ...(f.maxLength !== undefined ? { maxLength: f.maxLength } : {}),
    ...(f.integer !== undefined ? { integer: f.integer } : {}),
    ...(f.maxSelected !== undefined ? { maxSelected: f.maxSelected } : {}),
    ...(f.default !== undefined ? { default: f.default as FormValue } : {}),
  };
  const spec: EntitySpec = isChoice
    ? { kind: 'choice', matcher: new ChoiceMatcher(list), multiple: f.type === 'checkboxes' }
    : { kind: kind as 'text' | 'number' | 'date' | 'yesno' };
  const constraints: Constraints = {
    ...(f.min !== undefined ? { min: f.min } : {}),
    ...(f.max !== undefined ? { max: f.max } : {}),
    ...(f.maxLength !== undefined ? { maxLength: f.maxLength } : {}),
    ...(f.integer !== undefined ? { integer: f.integer } : {}),
    ...(f.maxSelected !== undefined ? { maxSelected: f.maxSelected } : {}),
  };
  const options_ = isChoice ? list : f.type === 'boolean' ? YES_NO : undefined;
  return { field, spec, constraints, question: f.prompt ?? f.label, ...(options_ ? { options: options_ } : {}) };
}
