import type { Condition } from '../definition/schema.js';

/** Branch conditions: comparisons of one variable, combined with all / any / not. No code is evaluated. */

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);

function compare(a: unknown, b: unknown): number | undefined {
  const x = num(a);
  const y = num(b);
  if (x !== undefined && y !== undefined) return x - y;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

const same = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  const x = num(a);
  const y = num(b);
  if (x !== undefined && y !== undefined && (typeof a === 'number' || typeof b === 'number')) return x === y;
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return JSON.stringify(a) === JSON.stringify(b);
};

const isEmpty = (v: unknown) => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);

export function holds(c: Condition, get: (path: readonly string[]) => unknown): boolean {
  if ('all' in c) return c.all.every((x) => holds(x, get));
  if ('any' in c) return c.any.some((x) => holds(x, get));
  if ('not' in c) return !holds(c.not, get);
  const v = get(c.var.split('.'));
  const checks: boolean[] = [];
  if ('equals' in c) checks.push(same(v, c.equals));
  if ('notEquals' in c) checks.push(!same(v, c.notEquals));
  const cmp = (b: unknown, ok: (d: number) => boolean) => {
    const d = compare(v, b);
    checks.push(d !== undefined && ok(d));
  };
  if (c.gt !== undefined) cmp(c.gt, (d) => d > 0);
  if (c.gte !== undefined) cmp(c.gte, (d) => d >= 0);
  if (c.lt !== undefined) cmp(c.lt, (d) => d < 0);
  if (c.lte !== undefined) cmp(c.lte, (d) => d <= 0);
  if (c.in !== undefined) checks.push(c.in.some((x) => same(v, x)));
  if (c.matches !== undefined) {
    let re: RegExp | undefined;
    try {
      re = new RegExp(c.matches, 'i');
    } catch {
      re = undefined;
    }
    checks.push(re !== undefined && typeof v === 'string' && re.test(v));
  }
  if (c.exists !== undefined) checks.push((v !== undefined && v !== null) === c.exists);
  if (c.empty !== undefined) checks.push(isEmpty(v) === c.empty);
  // `{ var: x }` alone: is it truthy?
  if (checks.length === 0) return !isEmpty(v) && v !== false;
  return checks.every(Boolean);
}
