import { ChoiceMatcher, type ChoiceOption } from './choice.js';
import { isoDay, readDate, readEmail, readNumber, readPhone, readYesNo, resolveDayBound } from './values.js';

export { ChoiceMatcher, type ChoiceOption };

/** An entity a prompt (or a form field asked on its own) waits for, compiled from the definition. */
export type EntitySpec =
  | { readonly kind: 'text' | 'number' | 'date' | 'email' | 'phone' | 'yesno' }
  | { readonly kind: 'choice'; readonly matcher: ChoiceMatcher; readonly multiple: boolean }
  | { readonly kind: 'regex'; readonly re: RegExp; readonly format?: string };

export interface Constraints {
  /** number: a number; date: `today`, `today+N`, `today-N` or `YYYY-MM-DD`. */
  readonly min?: number | string;
  readonly max?: number | string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly integer?: boolean;
  readonly pattern?: RegExp;
  readonly maxSelected?: number;
  /** Said instead of the built-in explanation when a constraint fails. */
  readonly message?: string;
}

export interface ReadContext {
  readonly now: number;
  readonly timeZone: string;
  readonly country: string;
}

export type EntityValue = string | number | boolean | readonly string[];

export type Reading =
  | { readonly ok: true; readonly value: EntityValue; readonly shown: string }
  /** `unrecognised`: no such value in the text; `invalid`: there is one, but it breaks a constraint. */
  | { readonly ok: false; readonly reason: 'unrecognised' | 'invalid'; readonly message?: string };

const unrecognised: Reading = { ok: false, reason: 'unrecognised' };

/** Read the entity from the text, then check the constraints. */
export function readEntity(spec: EntitySpec, text: string, ctx: ReadContext, c: Constraints = {}): Reading {
  const raw = extract(spec, text, ctx);
  if (raw === undefined) return unrecognised;
  const problem = violation(spec.kind, raw.value, c, ctx);
  return problem === undefined ? { ok: true, ...raw } : { ok: false, reason: 'invalid', message: c.message ?? problem };
}

function extract(spec: EntitySpec, text: string, ctx: ReadContext): { value: EntityValue; shown: string } | undefined {
  switch (spec.kind) {
    case 'text': {
      const t = text.trim();
      return t ? { value: t, shown: t } : undefined;
    }
    case 'number': {
      const n = readNumber(text);
      return n === undefined ? undefined : { value: n, shown: String(n) };
    }
    case 'date': {
      const d = readDate(text, ctx.now, ctx.timeZone);
      return d === undefined ? undefined : { value: d, shown: d };
    }
    case 'email': {
      const e = readEmail(text);
      return e === undefined ? undefined : { value: e, shown: e };
    }
    case 'phone': {
      const p = readPhone(text, ctx.country);
      return p === undefined ? undefined : { value: p, shown: p };
    }
    case 'yesno': {
      const b = readYesNo(text);
      return b === undefined ? undefined : { value: b, shown: b ? 'yes' : 'no' };
    }
    case 'choice': {
      if (spec.multiple) {
        const many = spec.matcher.many(text);
        return many === undefined ? undefined : { value: many.map((o) => o.value), shown: many.map((o) => o.label).join(', ') || 'none' };
      }
      const one = spec.matcher.one(text);
      return one === undefined ? undefined : { value: one.value, shown: one.label };
    }
    case 'regex': {
      const m = spec.re.exec(text);
      if (!m) return undefined;
      const value = spec.format ? spec.format.replace(/\$(\d)/g, (_, i: string) => m[Number(i)] ?? '') : m[0];
      return { value, shown: value };
    }
  }
}

/** Why `value` breaks the constraints, or undefined. */
export function violation(kind: EntitySpec['kind'], value: EntityValue, c: Constraints, ctx: Pick<ReadContext, 'now' | 'timeZone'>): string | undefined {
  if (typeof value === 'number') {
    if (c.integer && !Number.isInteger(value)) return 'Please give a whole number.';
    if (typeof c.min === 'number' && value < c.min) return `It must be at least ${c.min}.`;
    if (typeof c.max === 'number' && value > c.max) return `It must be at most ${c.max}.`;
    return undefined;
  }
  if (kind === 'date' && typeof value === 'string') {
    const today = isoDay(ctx.now, ctx.timeZone);
    const min = typeof c.min === 'string' ? resolveDayBound(c.min, today) : undefined;
    const max = typeof c.max === 'string' ? resolveDayBound(c.max, today) : undefined;
    if (min !== undefined && value < min) return min === today ? 'The date cannot be in the past.' : `The date must be on or after ${min}.`;
    if (max !== undefined && value > max) return `The date must be on or before ${max}.`;
    return undefined;
  }
  if (Array.isArray(value)) {
    if (c.maxSelected !== undefined && value.length > c.maxSelected) return `Choose at most ${c.maxSelected}.`;
    return undefined;
  }
  if (typeof value === 'string') {
    if (c.minLength !== undefined && value.length < c.minLength) return `Please write at least ${c.minLength} characters.`;
    if (c.maxLength !== undefined && value.length > c.maxLength) return `Please keep it under ${c.maxLength + 1} characters.`;
    if (c.pattern && !c.pattern.test(value)) return 'That does not have the expected format.';
  }
  return undefined;
}
