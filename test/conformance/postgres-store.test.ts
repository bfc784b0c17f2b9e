/**
 * PostgresStore beyond the shared suite: several writers (nodes) on one database, each keeping its own view
 * of a conversation; group commit; what a restarted writer finds.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ConversationRef, NewEntry } from '../../src/core/model.js';
import { openPool, type Pool } from '../../src/storage/postgres/database.js';
import { PostgresStore } from '../../src/storage/postgres/store.js';
import { need, SERVICES } from '../support/services.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

const available = need('postgresql', await SERVICES.find((s) => s.name === 'postgresql')!.available());

let n = 0;
const conv = (): ConversationRef => ({ id: `c-pg-${Date.now()}-${++n}`, botId: 'st-1', userId: `u-${n}` });
const said = (text: string, clientMessageId?: string, deviceId = 'd-1'): NewEntry => ({
  id: `ms-${text}-${Math.random().toString(36).slice(2)}`,
  at: Date.now(),
  from: { role: 'user', id: 'u-1' },
  body: { kind: 'user_message', input: { text } },
  ...(clientMessageId ? { origin: { deviceId, clientMessageId } } : {}),
});

describe.skipIf(!available)('PostgresStore with several writers', () => {
  let db: TestDatabase;
  const pools: Pool[] = [];
  const writer = async () => {
    const pool = await openPool(db.url, { max: 6 });
    pools.push(pool);
    return new PostgresStore(pool);
  };
  beforeAll(async () => {
    db = await createTestDatabase('pgstore');
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await db?.drop();
  });

  test('two writers appending to one conversation at once: every append stored once, seqs dense, nothing overwritten', async () => {
    const [a, b] = [await writer(), await writer()];
    const c = conv();
    const results = await Promise.all(Array.from({ length: 120 }, (_, i) => (i % 2 ? a : b).append(c, [said(`m${i}`), said(`m${i}-bis`)])));
    const seqs = results.flatMap((r) => (r.ok ? r.entries.map((e) => e.seq) : []));
    expect(seqs.sort((x, y) => x - y)).toEqual(Array.from({ length: 240 }, (_, i) => i + 1));
    const log = await a.readSince(c.id, 0, 1000);
    expect(log.map((e) => e.seq)).toEqual(Array.from({ length: 240 }, (_, i) => i + 1));
    for (const r of results) if (r.ok) for (const e of r.entries) expect(log[e.seq - 1]!.id).toBe(e.id);
    expect((await b.getState(c.id)).headSeq).toBe(240);
  });

  test('a message stored through one writer is a duplicate through the other', async () => {
    const [a, b] = [await writer(), await writer()];
    const c = conv();
    await b.getState(c.id); // b now holds an (empty) view of the conversation
    const first = await a.append(c, [said('hello', 'cm-1')]);
    expect(first).toMatchObject({ ok: true, entries: [{ seq: 1 }] });
    expect(await b.append(c, [said('hello again', 'cm-1')])).toEqual({ ok: false, reason: 'duplicate', seq: 1 });
    expect((await a.getState(c.id)).headSeq).toBe(1);
  });

  test('a fencing token seen by one writer fences the other, whatever it last saw', async () => {
    const [a, b] = [await writer(), await writer()];
    const c = conv();
    expect((await b.append(c, [said('x')], { fence: 5 })).ok).toBe(true);
    expect((await a.append(c, [said('y')], { fence: 10 })).ok).toBe(true);
    // b last saw fence 5: its append with token 7 must still be refused.
    expect(await b.append(c, [said('late')], { fence: 7 })).toEqual({ ok: false, reason: 'fenced' });
    expect((await b.append(c, [said('z')], { fence: 10 })).ok).toBe(true);
    expect((await a.readSince(c.id, 0, 10)).map((e) => (e.body as { input: { text: string } }).input.text)).toEqual(['x', 'y', 'z']);
  });

  test('state changes of another writer are seen, and a stale expected version is a conflict', async () => {
    const [a, b] = [await writer(), await writer()];
    const c = conv();
    expect((await a.append(c, [], { state: { expectedVersion: 0, value: { dialog: 'a' } } })).ok).toBe(true);
    expect(await b.getState(c.id)).toMatchObject({ version: 1, value: { dialog: 'a' } });
    expect((await b.append(c, [said('b')], { state: { expectedVersion: 1, value: { dialog: 'b' } } })).ok).toBe(true);
    expect(await a.append(c, [said('a again')], { state: { expectedVersion: 1, value: { dialog: 'lost' } } })).toEqual({ ok: false, reason: 'conflict' });
    expect(await a.getState(c.id)).toMatchObject({ version: 2, value: { dialog: 'b' }, headSeq: 1 });
  });

  test('appends of one turn of the event loop are committed as one batch, and a new writer reads them all', async () => {
    const a = await writer();
    const batches: number[] = [];
    a.onBatch = (size) => batches.push(size);
    const cs = Array.from({ length: 30 }, conv);
    await Promise.all(cs.map((c, i) => a.append(c, [said(`hi ${i}`, `cm-${i}`)])));
    expect(batches).toEqual([30]);
    const fresh = await writer();
    for (const [i, c] of cs.entries()) {
      expect((await fresh.readSince(c.id, 0, 10)).map((e) => e.origin?.clientMessageId)).toEqual([`cm-${i}`]);
      expect(await fresh.append(c, [said('again', `cm-${i}`)])).toEqual({ ok: false, reason: 'duplicate', seq: 1 });
    }
    const heads = await fresh.heads([...cs.map((c) => c.id), 'c-unknown']);
    expect([...heads.values()]).toEqual([...cs.map(() => 1), 0]);
  });

  test('close() commits what is queued', async () => {
    const a = await writer();
    const c = conv();
    const pending = a.append(c, [said('last words')]);
    await a.close();
    expect(await pending).toMatchObject({ ok: true });
    await expect(a.append(c, [said('too late')])).rejects.toThrow(/closed/);
    expect((await (await writer()).readSince(c.id, 0, 10)).length).toBe(1);
  });
});
