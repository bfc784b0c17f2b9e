/**
 * The cluster's welcome gate (src/protocols/kore/cluster-welcomes.ts): a window's welcome runs exactly once,
 * before its first history answer, whichever node serves that request — two gates on one shared store are
 * two nodes.
 */
import { describe, expect, test } from 'vitest';
import type { AccessClaims } from '../../src/auth/access-token.js';
import { ManualClock } from '../../src/core/memory/clock.js';
import { MemoryEphemeralStore } from '../../src/core/memory/ephemeral.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import { ClusterWelcomes } from '../../src/protocols/kore/cluster-welcomes.js';

const claims = (deviceId: string): AccessClaims => ({ userId: 'u-1', botId: 'st-1', clientId: 'cs-1', deviceId, identity: 'someone' });
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
};

function cluster() {
  const clock = new ManualClock();
  const kv = new MemoryEphemeralStore(clock);
  const fired: string[] = [];
  const node = (name: string) => new ClusterWelcomes(kv, clock, 1000, async (c) => void fired.push(`${name} ran ${c.deviceId}`), silentLogger);
  const greet = (label: string) => async () => void fired.push(label);
  return { clock, fired, a: node('a'), b: node('b'), greet };
}

describe('welcomes in a cluster', () => {
  test('the history request on the socket\'s own node runs it there, once', async () => {
    const { clock, fired, a, b, greet } = cluster();
    a.expect('d-1', greet('socket on a'), Promise.resolve(true));
    await settle();
    await a.release(claims('d-1'));
    await b.release(claims('d-1'));
    clock.advance(5000);
    await settle();
    expect(fired).toEqual(['socket on a']);
  });

  test('the history request on another node runs it there, before answering; the socket\'s node does not', async () => {
    const { clock, fired, a, b, greet } = cluster();
    a.expect('d-1', greet('socket on a'), Promise.resolve(true));
    await settle();
    await b.release(claims('d-1'));
    expect(fired).toEqual(['b ran d-1']);
    clock.advance(5000);
    await settle();
    expect(fired).toEqual(['b ran d-1']);
  });

  test('a history request on another node before the window registered: the window greets when it does', async () => {
    const { fired, a, b, greet } = cluster();
    await b.release(claims('d-1'));
    expect(fired).toEqual([]);
    a.expect('d-1', greet('socket on a'), Promise.resolve(true));
    await settle();
    expect(fired).toEqual(['socket on a']);
  });

  test('without any history request, the fallback delay greets once', async () => {
    const { clock, fired, a, b, greet } = cluster();
    a.expect('d-1', greet('socket on a'), Promise.resolve(true));
    await settle();
    clock.advance(999);
    await settle();
    expect(fired).toEqual([]);
    clock.advance(1);
    await settle();
    expect(fired).toEqual(['socket on a']);
    await b.release(claims('d-1'));
    expect(fired).toEqual(['socket on a']);
  });

  test('a window that closed, or never started, is greeted nowhere', async () => {
    const { clock, fired, a, b, greet } = cluster();
    a.expect('d-1', greet('closed'), Promise.resolve(true));
    await settle();
    a.cancel('d-1');
    await settle();
    a.expect('d-2', greet('never started'), Promise.resolve(false));
    await settle();
    await b.release(claims('d-1'));
    await b.release(claims('d-2'));
    clock.advance(5000);
    await settle();
    expect(fired).toEqual([]);
  });

  test('racing requests on every node: one welcome', async () => {
    const { clock, fired, a, b, greet } = cluster();
    a.expect('d-1', greet('socket on a'), Promise.resolve(true));
    await Promise.all([a.release(claims('d-1')), b.release(claims('d-1')), b.release(claims('d-1'))]);
    clock.advance(5000);
    await settle();
    expect(fired).toHaveLength(1);
  });
});
