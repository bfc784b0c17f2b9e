/** The dialog state's copy and comparison (a JSON round trip's results, without the round trip). */
import { describe, expect, test } from 'vitest';
import { cloneJson, sameJson } from '../../src/dialog/flow/state.js';

const roundTrip = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

const SAMPLES: unknown[] = [
  null,
  0,
  'x',
  [],
  {},
  { v: 1, session: 's', sessionVars: {}, userVars: { name: 'Ann' }, stack: [], seq: 3 },
  { a: [1, 'two', null, { b: true }], c: { d: { e: [] } } },
  { kept: 1, dropped: undefined },
  [1, undefined, 3],
  { when: new Date(0) },
];

describe('cloneJson', () => {
  test.each(SAMPLES.map((s) => [JSON.stringify(s) ?? String(s), s]))('%s copies as JSON would', (_name, value) => {
    const copy = cloneJson(value);
    expect(copy).toStrictEqual(roundTrip(value));
    if (typeof value === 'object' && value !== null) expect(copy).not.toBe(value);
  });

  test('the copy shares nothing with the original', () => {
    const original = { stack: [{ slots: { a: 1 } }] };
    const copy = cloneJson(original);
    copy.stack[0]!.slots.a = 2;
    expect(original.stack[0]!.slots.a).toBe(1);
  });
});

describe('sameJson', () => {
  test('agrees with comparing the serialised forms', () => {
    for (const a of SAMPLES) {
      for (const b of SAMPLES) expect(sameJson(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(JSON.stringify(a) === JSON.stringify(b));
    }
  });

  test('key order does not matter; undefined is absence; a changed leaf is seen', () => {
    expect(sameJson({ a: 1, b: [2] }, { b: [2], a: 1 })).toBe(true);
    expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 1, b: null })).toBe(false);
    expect(sameJson({ s: { x: [1, 2] } }, { s: { x: [1, 3] } })).toBe(false);
    expect(sameJson([1, 2], { 0: 1, 1: 2 })).toBe(false);
    expect(sameJson([undefined], [null])).toBe(true);
  });
});
