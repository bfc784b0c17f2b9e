import assert from 'node:assert/strict';
import type { ConversationRef, NewEntry } from '../model.js';
import type { ConversationStore } from '../ports/store.js';
import type { Suite } from './suite.js';

export interface StoreCtx {
  readonly store: ConversationStore;
}

let n = 0;
const ref = (): ConversationRef => {
  n += 1;
  const id = `c-test-${process.pid}-${Date.now()}-${n}`;
  return { id, botId: 'st-test', userId: `u-${n}` };
};

const userMsg = (text: string, clientMessageId?: string, deviceId = 'd-1'): NewEntry => ({
  id: `ms-${text}-${Math.random().toString(36).slice(2)}`,
  at: 1_700_000_000_000 + n,
  from: { role: 'user', id: 'u-1' },
  sessionId: 's-1',
  body: { kind: 'user_message', input: { text } },
  ...(clientMessageId !== undefined ? { origin: { deviceId, clientMessageId } } : {}),
});

const botMsg = (text: string): NewEntry => ({
  id: `ms-bot-${text}-${Math.random().toString(36).slice(2)}`,
  at: 1_700_000_000_000 + n,
  from: { role: 'bot', id: 'st-test' },
  body: { kind: 'bot_message', content: { type: 'text', text } },
});

const event = (): NewEntry => ({
  id: `ms-ev-${Math.random().toString(36).slice(2)}`,
  at: 1_700_000_000_000,
  from: { role: 'system', id: 'system' },
  body: { kind: 'event', name: 'session_start' },
});

const ok = <T extends { ok: boolean }>(r: T): T & { ok: true } => {
  assert.equal(r.ok, true, `append failed: ${JSON.stringify(r)}`);
  return r as T & { ok: true };
};

/** What every ConversationStore must do. */
export const storeSuite: Suite<StoreCtx> = [
  {
    name: 'an empty conversation has version 0, head 0 and no entries',
    async run({ store }) {
      const c = ref();
      assert.deepEqual(await store.getState(c.id), { version: 0, value: {}, headSeq: 0, lastAt: 0 });
      assert.deepEqual(await store.readSince(c.id, 0, 10), []);
      assert.deepEqual(await store.readMessages(c.id, { offset: 0, limit: 10 }), { entries: [], total: 0 });
    },
  },
  {
    name: 'append assigns dense seq from 1 and preserves every field',
    async run({ store }) {
      const c = ref();
      const a = userMsg('a', 'cm-1');
      const withAudience: NewEntry = { ...botMsg('b'), audience: { deviceId: 'd-9' }, sessionId: 's-1', request: { id: 7, last: true } };
      const r1 = ok(await store.append(c, [a, withAudience]));
      assert.deepEqual(r1.entries.map((e) => e.seq), [1, 2]);
      assert.deepEqual(r1.entries[1], { ...withAudience, seq: 2, conversationId: c.id });
      const r2 = ok(await store.append(c, [event()]));
      assert.deepEqual(r2.entries.map((e) => e.seq), [3]);
      const all = await store.readSince(c.id, 0, 100);
      assert.deepEqual(all.map((e) => e.seq), [1, 2, 3]);
      assert.deepEqual(all[0], { ...a, seq: 1, conversationId: c.id });
      assert.deepEqual(all[1], { ...withAudience, seq: 2, conversationId: c.id });
      const snap = await store.getState(c.id);
      assert.equal(snap.headSeq, 3);
      assert.equal(snap.lastAt, Math.max(a.at, withAudience.at));
    },
  },
  {
    name: 'readSince returns the window after a seq, oldest first, bounded by limit',
    async run({ store }) {
      const c = ref();
      for (let i = 0; i < 10; i++) ok(await store.append(c, [botMsg(String(i))]));
      assert.deepEqual((await store.readSince(c.id, 3, 4)).map((e) => e.seq), [4, 5, 6, 7]);
      assert.deepEqual((await store.readSince(c.id, 8, 100)).map((e) => e.seq), [9, 10]);
      assert.deepEqual(await store.readSince(c.id, 10, 100), []);
    },
  },
  {
    name: 'a repeated origin (device + client message id) is a duplicate and writes nothing',
    async run({ store }) {
      const c = ref();
      ok(await store.append(c, [userMsg('x', 'cm-7')]));
      const dup = await store.append(c, [botMsg('other'), userMsg('x again', 'cm-7')]);
      assert.deepEqual(dup, { ok: false, reason: 'duplicate', seq: 1 });
      assert.equal((await store.getState(c.id)).headSeq, 1);
      // Same client id from another device, or in another conversation, is not a duplicate.
      ok(await store.append(c, [userMsg('y', 'cm-7', 'd-2')]));
      ok(await store.append(ref(), [userMsg('z', 'cm-7')]));
    },
  },
  {
    name: 'state is replaced only with the expected version, atomically with the entries',
    async run({ store }) {
      const c = ref();
      const r1 = ok(await store.append(c, [event()], { state: { expectedVersion: 0, value: { session: { id: 's1', startedAt: 1 } } } }));
      assert.equal(r1.version, 1);
      const conflict = await store.append(c, [botMsg('lost')], { state: { expectedVersion: 0, value: {} } });
      assert.deepEqual(conflict, { ok: false, reason: 'conflict' });
      const snap = await store.getState(c.id);
      assert.equal(snap.version, 1);
      assert.equal(snap.headSeq, 1, 'entries of a conflicting append must not be stored');
      assert.deepEqual(snap.value, { session: { id: 's1', startedAt: 1 } });
      const r2 = ok(await store.append(c, [], { state: { expectedVersion: 1, value: { dialog: { step: 2 } } } }));
      assert.equal(r2.version, 2);
      // An append without a state change keeps the version.
      const r3 = ok(await store.append(c, [botMsg('b')]));
      assert.equal(r3.version, 2);
      assert.deepEqual((await store.getState(c.id)).value, { dialog: { step: 2 } });
    },
  },
  {
    name: 'a lower fencing token is refused; equal or higher is accepted',
    async run({ store }) {
      const c = ref();
      ok(await store.append(c, [botMsg('1')], { fence: 5 }));
      ok(await store.append(c, [botMsg('2')], { fence: 5 }));
      assert.deepEqual(await store.append(c, [botMsg('3')], { fence: 4 }), { ok: false, reason: 'fenced' });
      ok(await store.append(c, [botMsg('4')], { fence: 9 }));
      assert.deepEqual(await store.append(c, [botMsg('5')], { fence: 5 }), { ok: false, reason: 'fenced' });
      assert.equal((await store.getState(c.id)).headSeq, 3);
    },
  },
  {
    name: 'readMessages pages message entries from the newest, each page oldest → newest',
    async run({ store }) {
      const c = ref();
      ok(await store.append(c, [event()]));
      for (let i = 1; i <= 7; i++) ok(await store.append(c, [userMsg(`u${i}`), botMsg(`b${i}`), event()]));
      const texts = (p: { entries: readonly { body: unknown }[] }) =>
        p.entries.map((e) => {
          const b = e.body as { kind: string; input?: { text: string }; content?: { text: string } };
          return b.kind === 'user_message' ? b.input!.text : b.content!.text;
        });
      const first = await store.readMessages(c.id, { offset: 0, limit: 4 });
      assert.equal(first.total, 14);
      assert.deepEqual(texts(first), ['u6', 'b6', 'u7', 'b7']);
      assert.deepEqual(texts(await store.readMessages(c.id, { offset: 4, limit: 4 })), ['u4', 'b4', 'u5', 'b5']);
      assert.deepEqual(texts(await store.readMessages(c.id, { offset: 12, limit: 4 })), ['u1', 'b1']);
      assert.deepEqual(texts(await store.readMessages(c.id, { offset: 14, limit: 4 })), []);
    },
  },
  {
    name: 'concurrent appends to one conversation get distinct, dense seqs in commit order',
    async run({ store }) {
      const c = ref();
      const N = 200;
      const results = await Promise.all(Array.from({ length: N }, (_, i) => store.append(c, [botMsg(`m${i}`), botMsg(`n${i}`)])));
      const seqs = results.flatMap((r) => ok(r).entries.map((e) => e.seq));
      assert.deepEqual([...seqs].sort((a, b) => a - b), Array.from({ length: 2 * N }, (_, i) => i + 1));
      for (const r of results) {
        const [a, b] = ok(r).entries;
        assert.equal(b!.seq, a!.seq + 1, 'entries of one append are contiguous');
      }
      const stored = await store.readSince(c.id, 0, 10 * N);
      for (const r of results) for (const e of ok(r).entries) assert.equal(stored[e.seq - 1]!.id, e.id);
    },
  },
  {
    name: 'concurrent state writes with the same expected version: exactly one wins',
    async run({ store }) {
      const c = ref();
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.append(c, [botMsg(`w${i}`)], { state: { expectedVersion: 0, value: { dialog: i } } })),
      );
      assert.equal(results.filter((r) => r.ok).length, 1);
      assert.equal(results.filter((r) => !r.ok && r.reason === 'conflict').length, 9);
      const snap = await store.getState(c.id);
      assert.equal(snap.version, 1);
      assert.equal(snap.headSeq, 1);
    },
  },
  {
    name: 'concurrent appends to many conversations stay isolated',
    async run({ store }) {
      const refs = Array.from({ length: 20 }, () => ref());
      await Promise.all(refs.flatMap((c) => Array.from({ length: 10 }, (_, i) => store.append(c, [botMsg(`${c.id}-${i}`)]))));
      for (const c of refs) {
        const entries = await store.readSince(c.id, 0, 100);
        assert.deepEqual(entries.map((e) => e.seq), Array.from({ length: 10 }, (_, i) => i + 1));
        for (const e of entries) assert.equal(e.conversationId, c.id);
      }
    },
  },
];
