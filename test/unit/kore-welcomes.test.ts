/**
 * The welcome gate (src/protocols/kore/welcomes.ts): a new window's On-Connect greeting waits for that
 * device's history answer, or a fallback delay, because the Web SDK drops bot messages that arrive
 * while an empty history is loading (reference/kore-web-sdk.md §B.7).
 */
import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/core/memory/clock.js';
import { WelcomeGate } from '../../src/protocols/kore/welcomes.js';

const setup = () => {
  const clock = new ManualClock();
  const gate = new WelcomeGate(clock, 1_000);
  const fired: string[] = [];
  const greet = (label: string) => async () => void fired.push(label);
  return { clock, gate, fired, greet };
};

describe('welcome gate', () => {
  test('the greeting waits for the device\'s history answer', () => {
    const { clock, gate, fired, greet } = setup();
    gate.expect('d-1', greet('d-1'));
    clock.advance(500);
    expect(fired).toEqual([]);
    gate.release('d-1');
    expect(fired).toEqual(['d-1']);
    clock.advance(5_000);
    expect(fired).toEqual(['d-1']);
  });

  test('without a history request, the fallback delay releases it once', () => {
    const { clock, gate, fired, greet } = setup();
    gate.expect('d-1', greet('d-1'));
    clock.advance(999);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual(['d-1']);
    gate.release('d-1');
    expect(fired).toEqual(['d-1']);
  });

  test('a history answered before the socket asked to greet releases the greeting at once', () => {
    const { gate, fired, greet } = setup();
    gate.release('d-1');
    gate.expect('d-1', greet('d-1'));
    expect(fired).toEqual(['d-1']);
  });

  test('an early history answer counts only for a short while, and only once', () => {
    const { clock, gate, fired, greet } = setup();
    gate.release('d-1');
    clock.advance(10_000);
    gate.expect('d-1', greet('late'));
    expect(fired).toEqual([]);
    clock.advance(1_000);
    expect(fired).toEqual(['late']);

    gate.release('d-2');
    gate.expect('d-2', greet('first window'));
    gate.expect('d-2', greet('second window'));
    expect(fired).toEqual(['late', 'first window']);
  });

  test('devices are independent', () => {
    const { gate, fired, greet } = setup();
    gate.expect('d-1', greet('d-1'));
    gate.expect('d-2', greet('d-2'));
    gate.release('d-2');
    expect(fired).toEqual(['d-2']);
  });

  test('a cancelled greeting (the socket closed) never fires', () => {
    const { clock, gate, fired, greet } = setup();
    gate.expect('d-1', greet('d-1'));
    gate.cancel('d-1');
    gate.release('d-1');
    clock.advance(5_000);
    expect(fired).toEqual([]);
  });

  test('a second window of the same device replaces the first one\'s pending greeting', () => {
    const { clock, gate, fired, greet } = setup();
    gate.expect('d-1', greet('old'));
    gate.expect('d-1', greet('new'));
    clock.advance(1_000);
    expect(fired).toEqual(['new']);
  });
});
