/**
 * `{{variable}}` templates: a dotted path (`{{ticket.id}}`, `{{session.department}}`, `{{items.0.title}}`)
 * replaced by its value. No expressions, no code: what a template can do is what a reviewer sees.
 */

const TAG = /\{\{\s*([^{}]*?)\s*\}\}/g;
const PATH = /^[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*$/;
const EXACT = /^\{\{\s*([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*)\s*\}\}$/;

export type Lookup = (path: readonly string[]) => unknown;

/** Problems of a template string (unclosed tags, something other than a variable inside `{{ }}`). */
export function templateProblems(s: string): string[] {
  const problems: string[] = [];
  for (const m of s.matchAll(TAG)) if (!PATH.test(m[1]!)) problems.push(`"{{${m[1]}}}" is not a variable name (letters, digits, "_", "-" and dots)`);
  const rest = s.replace(TAG, '');
  if (rest.includes('{{') || rest.includes('}}')) problems.push('unbalanced "{{" or "}}"');
  return problems;
}

/** The variable paths a template uses. */
export function variablesOf(s: string): string[][] {
  return [...s.matchAll(TAG)].filter((m) => PATH.test(m[1]!)).map((m) => m[1]!.split('.'));
}

/** How a value reads in a sentence. */
export function display(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.map(display).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function render(s: string, lookup: Lookup): string {
  if (!s.includes('{{')) return s;
  return s.replace(TAG, (_, path: string) => (PATH.test(path) ? display(lookup(path.split('.'))) : ''));
}

/**
 * Render every string inside a JSON-like value. A string that is exactly one tag keeps the variable's own
 * type (`"{{quantity}}"` stays a number), so structured bodies can be built from answers.
 */
export function renderValue(v: unknown, lookup: Lookup): unknown {
  if (typeof v === 'string') {
    const exact = EXACT.exec(v);
    if (exact) return lookup(exact[1]!.split('.')) ?? null;
    return render(v, lookup);
  }
  if (Array.isArray(v)) return v.map((x) => renderValue(x, lookup));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, renderValue(x, lookup)]));
  return v;
}

/** Every string inside a JSON-like value, with its path (for checks). */
export function stringsIn(v: unknown, at: (string | number)[] = []): { at: (string | number)[]; s: string }[] {
  if (typeof v === 'string') return [{ at, s: v }];
  if (Array.isArray(v)) return v.flatMap((x, i) => stringsIn(x, [...at, i]));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => stringsIn(x, [...at, k]));
  return [];
}
