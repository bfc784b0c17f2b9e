/**
 * SQLite group commit (src/storage/sqlite/store.ts): appends issued in the same event-loop turn share one
 * transaction, yet each caller still gets exactly its own outcome.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { ConversationRef, NewEntry } from '../../src/core/model.js';
import { openDatabase } from '../../src/storage/sqlite/database.js';
import { SqliteStore } from '../../src/storage/sqlite/store.js';
import { tempDir } from './implementations.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
function freshStore(): { store: SqliteStore; file: string } {
  const dir = tempDir();
  const file = join(dir.path, 'colloquy.db');
  const store = new SqliteStore(openDatabase(file, { synchronous: 'normal' }));
  cleanups.push(() => dir.remove(), () => store.close());
  return { store, file };
}

const conv = (id: string): ConversationRef => ({ id, botId: 'st-1', userId: `u-${id}` });
const said = (text: string, clientMessageId?: string): NewEntry => ({
  id: `ms-${text}-${Math.random().toString(36).slice(2)}`,
  at: 1_700_000_000_000,
  from: { role: 'user', id: 'u-1' },
  body: { kind: 'user_message', input: { text } },
  ...(clientMessageId ? { origin: { deviceId: 'd-1', clientMessageId } } : {}),
});

describe('SQLite group commit', () => {
  test('appends issued in one turn of the event loop are committed as one batch', async () => {
    const { store } = freshStore();
    const batches: number[] = [];
    store.onBatch = (size) => batches.push(size);
    await Promise.all(Array.from({ length: 25 }, (_, i) => store.append(conv(`c-${i % 5}`), [said(`m${i}`)])));
    expect(batches).toEqual([25]);
    await store.append(conv('c-0'), [said('later')]);
    expect(batches).toEqual([25, 1]);
  });

  test('each caller gets its own outcome: ok, duplicate, conflict and fenced side by side in one batch', async () => {
    const { store } = freshStore();
    await store.append(conv('c-dup'), [said('first', 'cm-1')]);
    await store.append(conv('c-fence'), [said('x')], { fence: 10 });
    const [ok, dup, conflict, fenced] = await Promise.all([
      store.append(conv('c-ok'), [said('hello')]),
      store.append(conv('c-dup'), [said('again', 'cm-1')]),
      store.append(conv('c-conflict'), [said('y')], { state: { expectedVersion: 3, value: {} } }),
      store.append(conv('c-fence'), [said('z')], { fence: 9 }),
    ]);
    expect(ok).toMatchObject({ ok: true, entries: [{ seq: 1 }] });
    expect(dup).toEqual({ ok: false, reason: 'duplicate', seq: 1 });
    expect(conflict).toEqual({ ok: false, reason: 'conflict' });
    expect(fenced).toEqual({ ok: false, reason: 'fenced' });
  });

  test('an append that throws fails only its own caller; the rest of its batch is stored', async () => {
    const { store } = freshStore();
    // A bot's dialog state is opaque to the core; one that JSON cannot encode makes this append throw.
    const poisoned = { state: { expectedVersion: 0, value: { dialog: { counter: 1n } } } };
    const [before, bad, after] = await Promise.allSettled([
      store.append(conv('c-innocent-1'), [said('hello')]),
      store.append(conv('c-bad'), [said('boom')], poisoned),
      store.append(conv('c-innocent-2'), [said('hi')]),
    ]);
    expect(bad.status).toBe('rejected');
    expect(before).toMatchObject({ status: 'fulfilled', value: { ok: true } });
    expect(after).toMatchObject({ status: 'fulfilled', value: { ok: true } });
    expect((await store.getState('c-innocent-1')).headSeq).toBe(1);
    expect((await store.getState('c-innocent-2')).headSeq).toBe(1);
    expect((await store.getState('c-bad')).headSeq).toBe(0);
  });

  test('a failed append leaves nothing behind and the store keeps working', async () => {
    const { store } = freshStore();
    const poisoned = { state: { expectedVersion: 0, value: { dialog: { counter: 1n } } } };
    await expect(store.append(conv('c-1'), [said('boom')], poisoned)).rejects.toThrow();
    expect(await store.getState('c-1')).toEqual({ version: 0, value: {}, headSeq: 0, lastAt: 0 });
    expect(await store.append(conv('c-1'), [said('fine')])).toMatchObject({ ok: true, entries: [{ seq: 1 }] });
  });

  test('close() commits appends still waiting for their batch, then refuses new ones', async () => {
    const { store, file } = freshStore();
    const pending = store.append(conv('c-1'), [said('last words')]);
    expect(store.pending).toBe(1);
    await store.close();
    expect(await pending).toMatchObject({ ok: true, entries: [{ seq: 1 }] });
    await expect(store.append(conv('c-1'), [said('too late')])).rejects.toThrow(/closed/);
    const reopened = new SqliteStore(openDatabase(file, { synchronous: 'normal' }));
    cleanups.push(() => reopened.close());
    expect((await reopened.readSince('c-1', 0, 10)).map((e) => e.body)).toEqual([{ kind: 'user_message', input: { text: 'last words' } }]);
  });
});
