import assert from 'node:assert/strict';
import type { Sequencer } from '../ports/sequencer.js';
import { sleep, type Suite } from './suite.js';

export interface SequencerCtx {
  readonly sequencer: Sequencer;
  /** Another node on the same backend, for sequencers that order turns across nodes. */
  readonly peer?: Sequencer;
}

let k = 0;
const key = () => `seq-test-${process.pid}-${Date.now()}-${++k}`;

/** What every Sequencer must do. */
export const sequencerSuite: Suite<SequencerCtx> = [
  {
    name: 'runs of one key never overlap and start in call order',
    async run({ sequencer }) {
      const id = key();
      let running = 0;
      const order: number[] = [];
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          sequencer.run(id, async () => {
            running += 1;
            assert.equal(running, 1, 'two runs of one key overlapped');
            order.push(i);
            if (i % 7 === 0) await sleep(1);
            await Promise.resolve();
            running -= 1;
          }),
        ),
      );
      assert.deepEqual(order, Array.from({ length: 50 }, (_, i) => i));
    },
  },
  {
    name: 'a failing run rejects its caller and does not block the next',
    async run({ sequencer }) {
      const id = key();
      const failed = sequencer.run(id, async () => {
        throw new Error('boom');
      });
      const next = sequencer.run(id, async () => 42);
      await assert.rejects(failed, /boom/);
      assert.equal(await next, 42);
    },
  },
  {
    name: 'different keys run concurrently',
    async run({ sequencer }) {
      const a = key();
      const b = key();
      let release!: () => void;
      const blocked = new Promise<void>((r) => (release = r));
      const slow = sequencer.run(a, async () => blocked);
      const fast = await Promise.race([sequencer.run(b, async () => 'b done'), sleep(1000).then(() => 'timeout')]);
      assert.equal(fast, 'b done', 'a blocked key must not block another key');
      release();
      await slow;
    },
  },
  {
    name: 'fencing tokens, when given, strictly increase per key',
    async run({ sequencer }) {
      const id = key();
      const fences: (number | undefined)[] = [];
      await Promise.all(Array.from({ length: 20 }, () => sequencer.run(id, async (lease) => void fences.push(lease.fence))));
      if (fences.every((f) => f === undefined)) return;
      for (let i = 1; i < fences.length; i++) assert.ok(fences[i]! > fences[i - 1]!, `fence ${fences[i]} after ${fences[i - 1]}`);
    },
  },
  {
    name: 'two nodes: runs of one key never overlap, and each node keeps its own call order',
    async run({ sequencer, peer }) {
      if (!peer) return;
      const id = key();
      let running = 0;
      const order: string[] = [];
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => {
          const [node, name] = i % 2 ? [peer, 'b'] : [sequencer, 'a'];
          return node.run(id, async () => {
            running += 1;
            assert.equal(running, 1, 'two runs of one key overlapped across nodes');
            order.push(`${name}${i}`);
            await sleep(i % 3);
            running -= 1;
          });
        }),
      );
      assert.equal(order.length, 30);
      for (const name of ['a', 'b']) {
        const mine = order.filter((o) => o.startsWith(name)).map((o) => Number(o.slice(1)));
        assert.deepEqual(mine, [...mine].sort((x, y) => x - y), `node ${name} out of call order`);
      }
    },
  },
  {
    name: 'two nodes: a burst from both is served in turns, neither waits for the other to finish',
    async run({ sequencer, peer }) {
      if (!peer) return;
      const id = key();
      const order: string[] = [];
      const burst = (node: Sequencer, name: string) =>
        Array.from({ length: 8 }, () =>
          node.run(id, async () => {
            order.push(name);
            await sleep(5);
          }),
        );
      await Promise.all([...burst(sequencer, 'a'), ...burst(peer, 'b')]);
      const firstB = order.indexOf('b');
      const firstA = order.indexOf('a');
      assert.ok(firstB < order.lastIndexOf('a') && firstA < order.lastIndexOf('b'), `one node starved the other: ${order.join('')}`);
    },
  },
  {
    name: 'two nodes: fencing tokens strictly increase whichever node holds the key',
    async run({ sequencer, peer }) {
      if (!peer) return;
      const id = key();
      const fences: (number | undefined)[] = [];
      for (let i = 0; i < 10; i++) await (i % 2 ? peer : sequencer).run(id, async (lease) => void fences.push(lease.fence));
      assert.ok(fences.every((f) => typeof f === 'number'), 'a sequencer for several nodes must give fencing tokens');
      for (let i = 1; i < fences.length; i++) assert.ok(fences[i]! > fences[i - 1]!, `fence ${fences[i]} after ${fences[i - 1]}`);
    },
  },
];
