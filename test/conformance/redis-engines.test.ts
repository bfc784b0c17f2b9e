/**
 * The Redis engines beyond the shared suites: what happens when a node dies holding a lock, when Redis
 * forgets everything (it keeps nothing on disk here), when a lease runs out under a frozen turn, and when
 * the pub/sub connection is cut.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { RedisBus } from '../../src/bus/redis/bus.js';
import { RedisSequencer } from '../../src/bus/redis/sequencer.js';
import type { BusMessage } from '../../src/core/ports/bus.js';
import type { Lease } from '../../src/core/ports/sequencer.js';
import { MemoryStore } from '../../src/core/memory/store.js';
import { eventually, sleep } from '../../src/core/testing/suite.js';
import { need, SERVICES } from '../support/services.js';
import { killSubscribers, redisClient } from '../support/redis.js';
import { redisNodes } from './implementations.js';

const available = need('redis', await SERVICES.find((s) => s.name === 'redis')!.available());

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function cluster(nodes: number, leaseMs = 2000) {
  const redis = await redisNodes(nodes, 'engines');
  const sequencers = redis.connections.map((c, i) => new RedisSequencer(c, { node: `n-${i}`, leaseMs, waitMs: 10_000 }));
  cleanups.push(async () => {
    await Promise.all(sequencers.map((s) => s.close()));
    await redis.teardown();
  });
  return { ...redis, sequencers };
}

const entry = (text: string) => ({
  id: `ms-${text}-${Math.random().toString(36).slice(2)}`,
  at: Date.now(),
  from: { role: 'bot' as const, id: 'st-1' },
  body: { kind: 'bot_message' as const, content: { type: 'text' as const, text } },
});

describe.skipIf(!available)('RedisSequencer', () => {
  test('the lock of a node that died is taken over once its lease runs out, with a higher fence', async () => {
    const { sequencers, prefix } = await cluster(1, 300);
    const raw = redisClient();
    cleanups.push(async () => void raw.disconnect());
    const key = 'c-dead-holder';
    // A holder that will never renew or release: its node is gone.
    await raw.set(`${prefix}lock:{${key}}`, 'n-dead|0123', 'PX', 400);
    // Its fence is 5 s ahead of the clock, so a fence taken from the clock alone would be lower than it.
    const deadFence = Date.now() * 1000 + 5_000_000;
    await raw.set(`${prefix}fence:{${key}}`, String(deadFence));
    const started = Date.now();
    const fence = await sequencers[0]!.run(key, async (lease) => lease.fence);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(fence).toBeGreaterThan(deadFence);
  });

  test('fencing tokens keep increasing when Redis loses every key (no persistence, restart)', async () => {
    const { sequencers, prefix } = await cluster(2);
    const raw = redisClient();
    cleanups.push(async () => void raw.disconnect());
    const key = 'c-reset';
    const before = await sequencers[0]!.run(key, async (l) => l.fence!);
    await raw.del(`${prefix}fence:{${key}}`, `${prefix}lock:{${key}}`);
    const after = await sequencers[1]!.run(key, async (l) => l.fence!);
    expect(after).toBeGreaterThan(before);
  });

  test('a turn that outlived its lease cannot write behind the new holder (the store refuses its fence)', async () => {
    const { sequencers, prefix } = await cluster(2, 300);
    const raw = redisClient();
    cleanups.push(async () => void raw.disconnect());
    const store = new MemoryStore();
    const ref = { id: 'c-frozen', botId: 'st-1', userId: 'u-1' };
    let frozen!: Lease;
    let thaw!: () => void;
    const thawed = new Promise<void>((r) => (thaw = r));
    const slow = sequencers[0]!.run(ref.id, async (lease) => {
      frozen = lease;
      expect((await store.append(ref, [entry('before the freeze')], { fence: lease.fence })).ok).toBe(true);
      await thawed;
      return store.append(ref, [entry('after the freeze')], { fence: lease.fence });
    });
    await eventually(() => frozen !== undefined, 2000, 'the first lease');
    // The node freezes: its lease lapses (as if it had not renewed) and another node takes over.
    await raw.del(`${prefix}lock:{${ref.id}}`);
    const taken = await sequencers[1]!.run(ref.id, (lease) => store.append(ref, [entry('new holder')], { fence: lease.fence }));
    expect(taken.ok).toBe(true);
    thaw();
    expect(await slow).toEqual({ ok: false, reason: 'fenced' });
    expect((await store.readSince(ref.id, 0, 10)).map((e) => (e.body as { content: { text: string } }).content.text)).toEqual(['before the freeze', 'new holder']);
  });

  test('a node waiting for a lock is woken as soon as it is released', async () => {
    const { sequencers } = await cluster(2);
    const key = 'c-wake';
    let release!: () => void;
    const held = sequencers[0]!.run(key, () => new Promise<void>((r) => (release = r)));
    await sleep(50);
    let wokeAt = 0;
    const waiting = sequencers[1]!.run(key, async () => void (wokeAt = Date.now()));
    await sleep(400); // the waiter is polling at its slowest now
    const releasedAt = Date.now();
    release();
    await Promise.all([held, waiting]);
    expect(wokeAt - releasedAt).toBeLessThan(60);
  });
});

describe.skipIf(!available)('RedisBus', () => {
  test('after its pub/sub connection is cut, a subscriber is told to resync, and receives again', async () => {
    const { connections, prefix } = await redisNodes(2, 'bus-cut').then((r) => {
      cleanups.push(r.teardown);
      return r;
    });
    const [publisher, subscriber] = connections.map((c) => new RedisBus(c));
    const got: number[] = [];
    let syncs = 0;
    subscriber!.subscribe('conv:cut', (m: BusMessage) => m.kind === 'entries' && got.push(...m.entries.map((e) => e.seq)), () => (syncs += 1));
    await eventually(() => syncs === 1, 2000, 'first sync');
    expect(await killSubscribers(prefix)).toBe(1); // only the subscribing node is in pub/sub mode
    await eventually(() => syncs >= 2, 5000, 'resync after the cut');
    publisher!.publish('conv:cut', { kind: 'entries', node: 'n-x', conversationId: 'c', entries: [{ ...entry('x'), seq: 9, conversationId: 'c' }] });
    await eventually(() => got.length === 1, 2000, 'a message after the cut');
    expect(got).toEqual([9]);
  });
});
