import assert from 'node:assert/strict';
import type { Bus, BusMessage } from '../ports/bus.js';
import { eventually, sleep, type Suite } from './suite.js';

/** The seqs an entries message carries (a bus may merge one publisher's consecutive messages of a topic). */
const seqsOf = (m: BusMessage): number[] => (m.kind === 'entries' ? m.entries.map((e) => e.seq) : []);

export interface BusCtx {
  /** Two handles on the same bus (two nodes); for an in-process bus they may be the same object. */
  readonly publisher: Bus;
  readonly subscriber: Bus;
}

let t = 0;
const topic = () => `conv:bus-test-${process.pid}-${Date.now()}-${++t}`;
const msg = (i: number, conversationId = 'c'): BusMessage => ({ kind: 'entries', node: 'n1', conversationId, entries: [
  { seq: i, id: `ms-${i}`, conversationId, at: i, from: { role: 'bot', id: 'st' }, body: { kind: 'bot_message', content: { type: 'text', text: String(i) } } },
] });

/** Unsubscribe functions of the case running now. */
const cleanup: (() => void)[] = [];

/** What every Bus must do. */
export const busSuite: Suite<BusCtx> = [
  {
    name: 'a subscriber receives messages on its topic in publish order',
    async run({ publisher, subscriber }) {
      const tp = topic();
      const got: number[] = [];
      const off = subscriber.subscribe(tp, (m) => got.push(...seqsOf(m)));
      await sleep(50);
      for (let i = 1; i <= 100; i++) publisher.publish(tp, msg(i));
      await eventually(() => got.length === 100, 3000, '100 messages');
      assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => i + 1));
      off();
    },
  },
  {
    name: 'messages round-trip intact and other topics are not delivered',
    async run({ publisher, subscriber }) {
      const a = topic();
      const b = topic();
      const got: BusMessage[] = [];
      const off = subscriber.subscribe(a, (m) => got.push(m));
      await sleep(50);
      publisher.publish(b, msg(1, 'other'));
      publisher.publish(a, msg(2, 'mine'));
      await eventually(() => got.length >= 1, 3000, 'a message');
      await sleep(50);
      assert.deepEqual(got, [msg(2, 'mine')]);
      off();
    },
  },
  {
    name: 'every subscriber of a topic receives; unsubscribed handlers do not',
    async run({ publisher, subscriber }) {
      const tp = topic();
      const a: number[] = [];
      const b: number[] = [];
      const offA = subscriber.subscribe(tp, (m) => a.push(...seqsOf(m)));
      const offB = subscriber.subscribe(tp, (m) => b.push(...seqsOf(m)));
      await sleep(50);
      publisher.publish(tp, msg(1));
      await eventually(() => a.length === 1 && b.length === 1, 3000, 'both subscribers');
      offB();
      await sleep(50);
      publisher.publish(tp, msg(2));
      await eventually(() => a.length === 2, 3000, 'remaining subscriber');
      await sleep(50);
      assert.deepEqual(b, [1]);
      offA();
    },
  },
  {
    name: 'device messages round-trip intact',
    async run({ publisher, subscriber }) {
      const tp = topic();
      const got: BusMessage[] = [];
      const off = subscriber.subscribe(tp, (m) => got.push(m));
      await sleep(50);
      const device: BusMessage = { kind: 'device', node: 'n1', conversationId: 'c', deviceId: 'd-1', connectionId: 'k-1', at: 1_700_000_000_000 };
      publisher.publish(tp, device);
      publisher.publish(tp, msg(1));
      await eventually(() => got.length === 2, 3000, 'two messages');
      assert.deepEqual(got, [device, msg(1)]);
      off();
    },
  },
  {
    name: 'a subscription reported in sync (onSync) receives what is published after',
    async run({ publisher, subscriber }) {
      const tp = topic();
      const got: number[] = [];
      let synced = 0;
      const ready = new Promise<void>((resolve) => {
        const off = subscriber.subscribe(tp, (m) => got.push(...seqsOf(m)), () => {
          synced += 1;
          resolve();
        });
        cleanup.push(off);
      });
      // A bus that never loses messages need not report; give it the time any bus needs to subscribe.
      await Promise.race([ready, sleep(200)]);
      publisher.publish(tp, msg(7));
      await eventually(() => got.length === 1, 3000, 'the message');
      assert.deepEqual(got, [7]);
      assert.ok(synced <= 1, `onSync called ${synced} times without a reconnect`);
      cleanup.splice(0).forEach((off) => off());
    },
  },
];
