/**
 * SQLite-specific durability: what the store suite cannot check in one process.
 * - appends survive closing and reopening the file;
 * - an append that resolved (= was acked) survives `kill -9` of the writing process;
 * - migrations run once when several processes open the same fresh file at the same time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import type { NewEntry } from '../../src/core/model.js';
import { openDatabase } from '../../src/storage/sqlite/database.js';
import { MIGRATIONS } from '../../src/storage/sqlite/migrations.js';
import { SqliteStore } from '../../src/storage/sqlite/store.js';
import { tempDir } from './implementations.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const dirs: { remove(): void }[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) d.remove();
});
const freshFile = () => {
  const dir = tempDir();
  dirs.push(dir);
  return join(dir.path, 'colloquy.db');
};

/** A TypeScript child process with its stdout split into lines. */
function child(script: string, args: string[]) {
  const proc = spawn(process.execPath, ['--import', 'tsx', fixture(script), ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(proc);
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  proc.stdout!.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const l of listeners) l();
  });
  proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('close', (code, signal) => resolve({ code, signal })),
  );
  /** Resolve once `check(lines)` holds; reject if the process ends first. */
  const until = (check: (lines: readonly string[]) => boolean, what: string) =>
    new Promise<void>((resolve, reject) => {
      const test = () => {
        if (check(lines)) {
          listeners.delete(test);
          resolve();
        }
      };
      listeners.add(test);
      test();
      void closed.then(() => reject(new Error(`child exited before ${what}; stderr:\n${stderr}`)));
    });
  return { proc, lines, closed, until, stderr: () => stderr };
}

const entry = (i: number): NewEntry => ({
  id: `ms-reopen-${i}`,
  at: 1_700_000_000_000 + i,
  from: i % 2 ? { role: 'user', id: 'u-1' } : { role: 'bot', id: 'st-1' },
  sessionId: 's-1',
  body: i % 2 ? { kind: 'user_message', input: { text: `u${i}` } } : { kind: 'bot_message', content: { type: 'text', text: `b${i}` } },
  ...(i % 2 ? { origin: { deviceId: 'd-1', clientMessageId: `cm-${i}` } } : {}),
});

describe('SQLite durability', () => {
  test('entries, state and dedupe marks survive closing and reopening the file', async () => {
    const file = freshFile();
    const ref = { id: 'c-reopen', botId: 'st-1', userId: 'u-1' };
    const first = new SqliteStore(openDatabase(file, { synchronous: 'full' }));
    const written = await Promise.all(Array.from({ length: 10 }, (_, i) => first.append(ref, [entry(i + 1)])));
    expect(written.every((r) => r.ok)).toBe(true);
    await first.append(ref, [], { state: { expectedVersion: 0, value: { session: { id: 's-1', startedAt: 1 }, dialog: { step: 3 } } } });
    const before = await first.readSince(ref.id, 0, 100);
    await first.close();

    const second = new SqliteStore(openDatabase(file, { synchronous: 'full' }));
    expect(await second.readSince(ref.id, 0, 100)).toEqual(before);
    expect(await second.getState(ref.id)).toEqual({
      version: 1,
      value: { session: { id: 's-1', startedAt: 1 }, dialog: { step: 3 } },
      headSeq: 10,
      lastAt: 1_700_000_000_010,
    });
    expect((await second.readMessages(ref.id, { offset: 0, limit: 3 })).total).toBe(10);
    // The log continues where it stopped, and a client message id stored before the restart is still a duplicate.
    expect(await second.append(ref, [entry(1)])).toEqual({ ok: false, reason: 'duplicate', seq: 1 });
    const next = await second.append(ref, [entry(12)]);
    expect(next.ok && next.entries[0]!.seq).toBe(11);
    await second.close();
  });

  test.each(['normal', 'full'] as const)('every append acked before kill -9 is stored, dense and readable (synchronous=%s)', async (synchronous) => {
    const file = freshFile();
    const conversationId = `c-kill-${synchronous}`;
    const writer = child('sqlite-appender.ts', [file, synchronous, conversationId]);
    const acks = () => writer.lines.filter((l) => l.startsWith('acked '));
    await writer.until(() => acks().length >= 300, '300 acks');
    writer.proc.kill('SIGKILL');
    const exit = await writer.closed;
    expect(exit.signal).toBe('SIGKILL');

    const acked = new Map<number, string>();
    for (const line of acks()) {
      const [, seq, text] = line.split(' ');
      acked.set(Number(seq), text!);
    }
    expect(acked.size).toBe(acks().length); // no seq was handed out twice

    const store = new SqliteStore(openDatabase(file, { synchronous }));
    try {
      const log = await store.readSince(conversationId, 0, 1_000_000);
      expect(log.map((e) => e.seq)).toEqual(log.map((_, i) => i + 1));
      expect((await store.getState(conversationId)).headSeq).toBe(log.length);
      expect(log.length).toBeGreaterThanOrEqual(Math.max(...acked.keys()));
      for (const [seq, text] of acked) {
        const e = log[seq - 1]!;
        expect(e.body, `acked seq ${seq}`).toEqual({ kind: 'user_message', input: { text } });
        expect(e.origin?.clientMessageId).toBe(text);
      }
      for (const e of log) expect(e.body.kind).toBe('user_message');
      // The crashed log takes further appends.
      const after = await store.append({ id: conversationId, botId: 'st-durability', userId: 'u-durability' }, [entry(2)]);
      expect(after.ok && after.entries[0]!.seq).toBe(log.length + 1);
    } finally {
      await store.close();
    }
  }, 60_000);

  test('migrations run once when several processes open the same fresh file at once', async () => {
    // Two races, each of four processes on its own fresh file (sequential: CI machines have few cores).
    const race = async () => {
      const file = freshFile();
      const openers = Array.from({ length: 4 }, () => child('sqlite-opener.ts', [file]));
      await Promise.all(openers.map((o) => o.until((l) => l.includes('ready'), 'ready')));
      const startAt = String(Date.now() + 100);
      for (const o of openers) o.proc.stdin!.end(`${startAt}\n`);
      const exits = await Promise.all(openers.map((o) => o.closed));
      exits.forEach((exit, i) => expect(exit, `opener ${i} stderr:\n${openers[i]!.stderr()}`).toEqual({ code: 0, signal: null }));
      for (const o of openers) {
        const report = JSON.parse(o.lines.find((l) => l.startsWith('{'))!) as { versions: number[]; rerun: number[] };
        expect(report).toEqual({ versions: MIGRATIONS.map((m) => m.version), rerun: [] });
      }
      const db = openDatabase(file, { synchronous: 'normal' });
      const rows = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
      db.close();
      expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    };
    await race();
    await race();
  }, 60_000);
});
