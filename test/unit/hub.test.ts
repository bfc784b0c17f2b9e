/**
 * Fan-out (src/core/fanout/hub.ts): a subscriber gets every entry after its cursor exactly once, in seq
 * order, whatever the bus does — late attach, out-of-order or lost bus messages, other nodes.
 */
import { describe, expect, test } from 'vitest';
import { Hub, type Subscriber } from '../../src/core/fanout/hub.js';
import type { ConversationRef, Entry, NewEntry } from '../../src/core/model.js';
import { MemoryBus } from '../../src/core/memory/bus.js';
import { MemoryStore } from '../../src/core/memory/store.js';
import type { Bus, BusMessage } from '../../src/core/ports/bus.js';
import { silentLogger } from '../../src/core/ports/logger.js';

const conv: ConversationRef = { id: 'c-hub', botId: 'st-1', userId: 'u-1' };
const newEntry = (text: string): NewEntry => ({
  id: `ms-${text}`,
  at: 1,
  from: { role: 'bot', id: 'st-1' },
  body: { kind: 'bot_message', content: { type: 'text', text } },
});

/** Let the memory bus and store deliver everything queued (they only use microtasks). */
const settle = () => new Promise<void>((r) => setImmediate(r));

/** A subscriber that records the seqs it was handed, per call. */
function recorder(id = 'conn-1', conversationId = conv.id) {
  const calls: number[][] = [];
  const sub: Subscriber = { id, conversationId, deliver: (es) => void calls.push(es.map((e) => e.seq)) };
  return { sub, calls, seqs: () => calls.flat() };
}

/** A bus wrapper that drops (or holds back) what `drop` selects: a lossy network between nodes. */
class LossyBus implements Bus {
  held: { topic: string; message: BusMessage }[] = [];
  constructor(
    private readonly inner: Bus,
    private readonly drop: (m: BusMessage) => boolean,
  ) {}
  publish(topic: string, message: BusMessage): void {
    if (this.drop(message)) this.held.push({ topic, message });
    else this.inner.publish(topic, message);
  }
  /** Deliver what was held back, late. */
  release(): void {
    for (const { topic, message } of this.held.splice(0)) this.inner.publish(topic, message);
  }
  subscribe(topic: string, handler: (m: BusMessage) => void) {
    return this.inner.subscribe(topic, handler);
  }
  close() {
    return this.inner.close();
  }
}

function world() {
  const store = new MemoryStore();
  const bus = new MemoryBus({ shared: true });
  const hub = new Hub('n-1', store, bus, silentLogger);
  const append = async (...texts: string[]): Promise<readonly Entry[]> => {
    const r = await store.append(conv, texts.map(newEntry));
    if (!r.ok) throw new Error('append failed');
    return r.entries;
  };
  return { store, bus, hub, append };
}

describe('attach', () => {
  test('replays what the store has after the cursor, then delivers live entries', async () => {
    const { hub, append } = world();
    await append('1', '2', '3');
    const r = recorder();
    hub.attach(r.sub, 1);
    await settle();
    expect(r.seqs()).toEqual([2, 3]);
    hub.publish(conv.id, await append('4'));
    expect(r.seqs()).toEqual([2, 3, 4]);
  });

  test('at the head, nothing is replayed', async () => {
    const { hub, append } = world();
    await append('1', '2');
    const r = recorder();
    hub.attach(r.sub, 2);
    await settle();
    expect(r.calls).toEqual([]);
  });

  test('entries published while the replay is still reading are delivered after it, once', async () => {
    const { hub, append } = world();
    await append('1', '2', '3');
    const r = recorder();
    hub.attach(r.sub, 0);
    hub.publish(conv.id, await append('4', '5')); // the replay has not answered yet
    await settle();
    expect(r.seqs()).toEqual([1, 2, 3, 4, 5]);
  });

  test('a replay longer than one store page is delivered whole', async () => {
    const { hub, store } = world();
    for (let i = 0; i < 12; i++) await store.append(conv, Array.from({ length: 100 }, (_, j) => newEntry(`${i}-${j}`)));
    const r = recorder();
    hub.attach(r.sub, 0);
    for (let i = 0; i < 5; i++) await settle();
    expect(r.seqs()).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1));
  });
});

describe('gaps and duplicates', () => {
  test('entries published out of order are delivered in order, each once', async () => {
    const { hub, append } = world();
    const r = recorder();
    hub.attach(r.sub, 0);
    await settle();
    const [e1, e2, e3, e4] = await append('1', '2', '3', '4');
    hub.publish(conv.id, [e1!]);
    hub.publish(conv.id, [e3!]); // gap: 2 is missing → read from the store
    hub.publish(conv.id, [e2!]);
    await settle();
    hub.publish(conv.id, [e4!]);
    await settle();
    expect(r.seqs()).toEqual([1, 2, 3, 4]);
  });

  test('a skipped entry is healed from the store', async () => {
    const { hub, append } = world();
    const r = recorder();
    hub.attach(r.sub, 0);
    await settle();
    hub.publish(conv.id, await append('1'));
    await append('2'); // stored, never published
    hub.publish(conv.id, await append('3'));
    await settle();
    expect(r.seqs()).toEqual([1, 2, 3]);
  });

  test('the same entries published twice are delivered once', async () => {
    const { hub, append } = world();
    const r = recorder();
    hub.attach(r.sub, 0);
    await settle();
    const entries = await append('1', '2');
    hub.publish(conv.id, entries);
    hub.publish(conv.id, entries);
    hub.publish(conv.id, entries.slice(1));
    await settle();
    expect(r.seqs()).toEqual([1, 2]);
  });

  test('a batch overlapping the cursor delivers only the new part', async () => {
    const { hub, append } = world();
    const r = recorder();
    hub.attach(r.sub, 0);
    await settle();
    const [e1, e2, e3] = await append('1', '2', '3');
    hub.publish(conv.id, [e1!, e2!]);
    hub.publish(conv.id, [e1!, e2!, e3!]);
    expect(r.calls).toEqual([[1, 2], [3]]);
  });

  test('a node does not deliver its own publication twice (local, then its bus echo)', async () => {
    const { hub, append } = world();
    const r = recorder();
    hub.attach(r.sub, 0);
    await settle();
    hub.publish(conv.id, await append('1'));
    await settle();
    expect(r.calls).toEqual([[1]]);
  });
});

describe('two nodes on one bus', () => {
  test('entries appended on one node reach subscribers on the other', async () => {
    const { store, bus, hub: a, append } = world();
    const b = new Hub('n-2', store, bus, silentLogger);
    const r = recorder('conn-b');
    b.attach(r.sub, 0);
    await settle();
    a.publish(conv.id, await append('1', '2'));
    expect(r.seqs()).toEqual([]); // the bus is asynchronous
    await settle();
    expect(r.seqs()).toEqual([1, 2]);
  });

  test('a bus message lost between the nodes is healed from the store at the next one', async () => {
    const { store, bus, append } = world();
    const lossy = new LossyBus(bus, (m) => m.kind === 'entries' && m.entries.some((e) => e.seq === 2));
    const a = new Hub('n-1', store, lossy, silentLogger);
    const b = new Hub('n-2', store, bus, silentLogger);
    const r = recorder('conn-b');
    b.attach(r.sub, 0);
    await settle();
    for (const t of ['1', '2', '3']) a.publish(conv.id, await append(t));
    await settle();
    expect(r.seqs()).toEqual([1, 2, 3]);
  });

  test('a late bus message after healing is not delivered again', async () => {
    const { store, bus, append } = world();
    const lossy = new LossyBus(bus, (m) => m.kind === 'entries' && m.entries[0]!.seq === 2);
    const a = new Hub('n-1', store, lossy, silentLogger);
    const b = new Hub('n-2', store, bus, silentLogger);
    const r = recorder('conn-b');
    b.attach(r.sub, 0);
    await settle();
    for (const t of ['1', '2', '3']) a.publish(conv.id, await append(t));
    await settle();
    lossy.release();
    await settle();
    expect(r.seqs()).toEqual([1, 2, 3]);
  });

  test('subscribers of other conversations get nothing', async () => {
    const { store, bus, hub: a, append } = world();
    const b = new Hub('n-2', store, bus, silentLogger);
    const r = recorder('conn-x', 'c-other');
    b.attach(r.sub, 0);
    await settle();
    a.publish(conv.id, await append('1'));
    await settle();
    expect(r.calls).toEqual([]);
  });
});

describe('detach', () => {
  test('returns the last seq delivered, and nothing is delivered afterwards', async () => {
    const { hub, append } = world();
    const r = recorder();
    hub.attach(r.sub, 0);
    await settle();
    hub.publish(conv.id, await append('1', '2'));
    expect(hub.detach(r.sub)).toBe(2);
    hub.publish(conv.id, await append('3'));
    await settle();
    expect(r.seqs()).toEqual([1, 2]);
  });

  test('returns the attach cursor when nothing was delivered, 0 for an unknown subscriber', async () => {
    const { hub } = world();
    const r = recorder();
    hub.attach(r.sub, 7);
    await settle();
    expect(hub.detach(r.sub)).toBe(7);
    expect(hub.detach(recorder('never-attached').sub)).toBe(0);
  });

  test('a detach during the replay stops it', async () => {
    const { hub, append } = world();
    await append('1', '2');
    const r = recorder();
    hub.attach(r.sub, 0);
    hub.detach(r.sub);
    await settle();
    expect(r.calls).toEqual([]);
  });

  test('the bus topic is unsubscribed when the last local subscriber leaves', async () => {
    const { hub, bus } = world();
    const one = recorder('conn-1');
    const two = recorder('conn-2');
    hub.attach(one.sub, 0);
    hub.attach(two.sub, 0);
    expect(bus.topicCount).toBe(1);
    expect(hub.connectionCount).toBe(2);
    hub.detach(one.sub);
    expect(bus.topicCount).toBe(1);
    hub.detach(two.sub);
    expect(bus.topicCount).toBe(0);
    expect(hub.conversationCount).toBe(0);
  });
});

test('a subscriber that throws does not stop delivery to the others', async () => {
  const { hub, append } = world();
  hub.attach({ id: 'bad', conversationId: conv.id, deliver: () => { throw new Error('socket gone'); } }, 0);
  const r = recorder('good');
  hub.attach(r.sub, 0);
  await settle();
  hub.publish(conv.id, await append('1'));
  hub.publish(conv.id, await append('2'));
  expect(r.seqs()).toEqual([1, 2]);
});

describe('what pub/sub may lose between nodes (cluster)', () => {
  test('a lost *last* message is delivered by heal(), which compares the cursors with the log', async () => {
    const { store, bus, append } = world();
    const lossy = new LossyBus(bus, (m) => m.kind === 'entries' && m.entries.some((e) => e.seq === 2));
    const a = new Hub('n-1', store, lossy, silentLogger);
    const b = new Hub('n-2', store, bus, silentLogger);
    const r = recorder('conn-b');
    b.attach(r.sub, 0);
    await settle();
    for (const t of ['1', '2']) a.publish(conv.id, await append(t));
    await settle();
    expect(r.seqs()).toEqual([1]); // nothing comes after the lost one: no gap to notice
    await b.heal();
    await settle();
    expect(r.seqs()).toEqual([1, 2]);
    await b.heal();
    await settle();
    expect(r.seqs()).toEqual([1, 2]);
  });

  test('heal() uses the store\'s batched heads when it has them', async () => {
    const { store, bus, append } = world();
    const asked: (readonly string[])[] = [];
    const withHeads = Object.assign(Object.create(store) as MemoryStore, {
      heads: async (ids: readonly string[]) => {
        asked.push(ids);
        return new Map(await Promise.all(ids.map(async (id) => [id, (await store.getState(id)).headSeq] as const)));
      },
    });
    const b = new Hub('n-2', withHeads, bus, silentLogger);
    const r = recorder('conn-b');
    b.attach(r.sub, 0);
    await settle();
    await append('1');
    await b.heal();
    await settle();
    expect(asked).toEqual([[conv.id]]);
    expect(r.seqs()).toEqual([1]);
  });

  test('when the bus reports it may have lost messages (onSync), every cursor reads the store again', async () => {
    const { store, append } = world();
    let sync: (() => void) | undefined;
    const bus: Bus = { publish: () => {}, subscribe: (_t, _h, onSync) => ((sync = onSync), () => {}), close: async () => {} };
    const b = new Hub('n-2', store, bus, silentLogger);
    const r = recorder('conn-b');
    b.attach(r.sub, 0);
    await settle();
    await append('1', '2'); // written on another node; its publish never arrived
    expect(r.seqs()).toEqual([]);
    sync!();
    await settle();
    expect(r.seqs()).toEqual([1, 2]);
  });

  test('a device\'s newer connection on another node supersedes its older ones here, and only those', async () => {
    const { store, bus } = world();
    const a = new Hub('n-1', store, bus, silentLogger);
    const b = new Hub('n-2', store, bus, silentLogger);
    const superseded: string[] = [];
    const sub = (id: string, deviceId: string) => ({ id, conversationId: conv.id, deviceId, deliver: () => {}, superseded: (at: number) => void superseded.push(`${id}@${at}`) });
    b.attach(sub('old-phone', 'd-phone'), 0);
    b.attach(sub('laptop', 'd-laptop'), 0);
    await settle();
    a.announce(sub('new-phone', 'd-phone'), 1234);
    await settle();
    expect(superseded).toEqual(['old-phone@1234']);
  });
});
