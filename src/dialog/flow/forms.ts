import type { ChannelCapabilities, Form, FormFieldError, FormSubmission, FormValue } from '../../core/model.js';
import type { CompiledField } from '../definition/compiled.js';
import type { FormNodeDef } from '../definition/schema.js';
import { readEntity, violation, type ReadContext } from '../nlu/entities/index.js';
import { isIsoDay } from '../nlu/entities/values.js';
import type { Part } from './state.js';

/**
 * Forms: delivered whole where the client renders forms, field by field otherwise. Fields keep the order
 * the author wrote; the fields the client's forms can render become one form, placed where the first of
 * them is, and the others are asked one by one before or after it.
 */
export function planParts(fields: readonly CompiledField[], caps: ChannelCapabilities): Part[] {
  const types = caps.forms?.fieldTypes;
  const inForm = fields.map((f, i) => (types?.includes(f.field.type) ? i : -1)).filter((i) => i >= 0);
  const parts: Part[] = [];
  fields.forEach((_, i) => {
    if (!inForm.includes(i)) parts.push({ field: i });
    else if (i === inForm[0]) parts.push({ form: inForm });
  });
  return parts;
}

export function formContent(def: FormNodeDef, fields: readonly CompiledField[], indexes: readonly number[], id: string, r: (s: string) => string): Form {
  return {
    id,
    ...(def.title !== undefined ? { title: r(def.title) } : {}),
    ...(def.description !== undefined ? { description: r(def.description) } : {}),
    submitLabel: def.submitLabel !== undefined ? r(def.submitLabel) : 'Submit',
    fields: indexes.map((i) => {
      const f = fields[i]!.field;
      return { ...f, label: r(f.label), ...(f.placeholder !== undefined ? { placeholder: r(f.placeholder) } : {}) };
    }),
  };
}

const empty = (v: unknown) => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);

/** A typed value as the Aisera table says it must be (a number is a JSON number, a date a real `YYYY-MM-DD`, …). */
function typedValue(cf: CompiledField, v: FormValue): FormValue | undefined {
  const f = cf.field;
  const values = (f.options ?? []).map((o) => o.value);
  switch (f.type) {
    case 'text':
    case 'textarea':
      return typeof v === 'string' ? v : undefined;
    case 'date':
      return typeof v === 'string' && isIsoDay(v) ? v : undefined;
    case 'dropdown':
    case 'radio':
      return typeof v === 'string' && values.includes(v) ? v : undefined;
    case 'checkboxes':
      return Array.isArray(v) && v.every((x) => values.includes(x)) && new Set(v).size === v.length ? v : undefined;
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
    case 'boolean':
      return typeof v === 'boolean' ? v : undefined;
  }
}

const EXPECTED: Record<string, string> = {
  date: 'a date',
  dropdown: 'one of the options',
  radio: 'one of the options',
  checkboxes: 'options from the list',
  number: 'a number',
  boolean: 'yes or no',
  text: 'text',
  textarea: 'text',
};

/** Check a submission of the fields `indexes`: the values to keep, or one error per field that is wrong. */
export function checkSubmission(
  fields: readonly CompiledField[],
  indexes: readonly number[],
  sub: FormSubmission,
  ctx: ReadContext,
): { ok: true; values: Record<string, FormValue | null> } | { ok: false; errors: FormFieldError[] } {
  const errors: FormFieldError[] = [];
  const values: Record<string, FormValue | null> = {};
  const asked = indexes.map((i) => fields[i]!);
  for (const name of Object.keys(sub.values)) {
    if (!asked.some((cf) => cf.field.name === name)) errors.push({ field: name, message: 'This form has no such field.' });
  }
  for (const cf of asked) {
    const f = cf.field;
    const raw = sub.values[f.name];
    if (empty(raw)) {
      if (f.required) errors.push({ field: f.name, message: `Please fill in "${f.label}".` });
      else values[f.name] = f.default ?? (f.type === 'checkboxes' ? [] : null);
      continue;
    }
    let value: FormValue | undefined;
    if (sub.typed) value = typedValue(cf, raw!);
    else {
      const text = Array.isArray(raw) ? raw.join(', ') : String(raw);
      const reading = readEntity(cf.spec, text, ctx);
      value = reading.ok ? (reading.value as FormValue) : undefined;
    }
    if (value === undefined) {
      errors.push({ field: f.name, message: `"${f.label}" must be ${EXPECTED[f.type]}.` });
      continue;
    }
    const problem = violation(cf.spec.kind, value, cf.constraints, ctx);
    if (problem) errors.push({ field: f.name, message: `${f.label}: ${problem}` });
    else values[f.name] = value;
  }
  return errors.length ? { ok: false, errors } : { ok: true, values };
}
