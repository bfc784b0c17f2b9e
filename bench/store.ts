/**
 * The embedded store alone (`npm run bench:store`): `SqliteStore.append` in a process of its own — no
 * sockets, no bot — with appends shaped like the benchmark's round trip (the user's "hi" and the demo bot's
 * greeting with four buttons, about 840 bytes of JSON), group-committed as in the server
 * (`synchronous=full`, a fresh data directory in the temp dir per case).
 *
 * Each case: 1000 conversations, then `rounds` groups of `batch` appends issued in one turn of the event loop
 * (one group commit each), over conversations picked either at random (what the open loop does: each append
 * lands on its own page of the `(conv, last_seq)` index) or adjacent (consecutive conversations, so appends
 * share index pages). Every case also runs without the appends index (dropped first): an experiment only (reads
 * by conversation then scan the table), to put a figure on what the index costs the write path.
 *
 *   npm run bench:store                          # batches 10 and 600, random and adjacent, with and without the index
 *   npm run bench:store -- --batches 10 --reps 5
 *
 * Reported per append: process CPU (user + system) and the time spent inside the store's flush (commit and
 * fsync included). Each repetition runs the cases in the opposite order of the one before, so a busy neighbour
 * hits them alike.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ConversationRef, NewEntry } from '../src/core/model.js';
import { openDatabase } from '../src/storage/sqlite/database.js';
import { SqliteStore } from '../src/storage/sqlite/store.js';
import { median } from './aggregate.js';
import { f1, f2 } from './format.js';

export interface StoreCase {
  readonly batch: number;
  readonly spread: 'random' | 'adjacent';
  readonly index: boolean;
}

export interface StoreResult extends StoreCase {
  readonly appends: number;
  /** Process CPU (user + system) per append, µs. */
  readonly cpuUs: number;
  readonly sysUs: number;
  /** Time inside the store's flush (plan, INSERTs, COMMIT with its fsync) per append, µs. */
  readonly flushUs: number;
}

const CONVERSATIONS = 1000;
const BOT = 'st-3f1c2b7e-8a4d-5c9e-9b6f-0d2e4a6c8b10';
const GREETING = Object.freeze({
  type: 'buttons',
  text: 'Hello! How can I help you today?',
  buttons: ['Reset a password', 'Request hardware', 'Create a ticket', 'Check a ticket'].map((title) => ({ kind: 'postback', title, payload: `/${title}` })),
});

/** A round trip's append: the user's message (with its device's client id) and the bot's answer. */
function roundTrip(ref: ConversationRef, n: number): NewEntry[] {
  const at = Date.now();
  const sessionId = '91f3911f2624a028ae279e18';
  return [
    { id: `ms-bench-${n}u`, at, from: { role: 'user', id: ref.userId }, sessionId, body: { kind: 'user_message', input: { text: 'hi' } }, origin: { deviceId: 'd-dAXuEZFnRybgFRsY', clientMessageId: String(1_796_390_566_572_936 + n) } },
    { id: `ms-bench-${n}b`, at, from: { role: 'bot', id: BOT }, sessionId, body: { kind: 'bot_message', content: GREETING } } as NewEntry,
  ];
}

/** One case in a fresh database: warm every conversation up, then measure `rounds` group commits. */
export async function measureStore(c: StoreCase, rounds: number): Promise<StoreResult> {
  const dir = mkdtempSync(join(tmpdir(), 'colloquy-bench-store-'));
  const db = openDatabase(join(dir, 'store.db'), { synchronous: 'full' });
  try {
    if (!c.index) db.exec('DROP INDEX appends_seq');
    const store = new SqliteStore(db);
    let flushMs = 0;
    store.onBatch = (_size, ms) => (flushMs += ms);
    const refs: ConversationRef[] = Array.from({ length: CONVERSATIONS }, (_, i) => ({ id: `c-bench-${String(i).padStart(6, '0')}`, botId: BOT, userId: `u-bench-${i}` }));
    let n = 0;
    const warm = async () => {
      for (let i = 0; i < CONVERSATIONS; i += c.batch) await Promise.all(refs.slice(i, i + c.batch).map((r) => store.append(r, roundTrip(r, n++))));
    };
    await warm();
    await warm();
    flushMs = 0;
    const cpu0 = process.cpuUsage();
    let appends = 0;
    for (let round = 0; round < rounds; round++) {
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < c.batch; i++) {
        const ref = refs[c.spread === 'random' ? Math.floor(Math.random() * CONVERSATIONS) : (round * c.batch + i) % CONVERSATIONS]!;
        writes.push(store.append(ref, roundTrip(ref, n++)));
      }
      await Promise.all(writes);
      appends += c.batch;
    }
    const cpu = process.cpuUsage(cpu0);
    return { ...c, appends, cpuUs: (cpu.user + cpu.system) / appends, sysUs: cpu.system / appends, flushUs: (flushMs * 1000) / appends };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatStore(results: readonly StoreResult[]): string {
  const key = (r: StoreCase) => `${r.batch} ${r.spread} ${r.index}`;
  const groups = new Map<string, StoreResult[]>();
  for (const r of results) {
    const group = groups.get(key(r));
    if (group) group.push(r);
    else groups.set(key(r), [r]);
  }
  const cpuOf = (c: StoreCase) => median((groups.get(key(c)) ?? []).map((r) => r.cpuUs));
  const rows = [...groups.values()].map((rs) => {
    const r = rs[0]!;
    const cpus = rs.map((x) => x.cpuUs);
    const withIndex = cpuOf({ ...r, index: true });
    return `| ${r.batch} | ${r.spread} | ${r.index ? 'yes' : '**no**'} | ${f1(median(cpus))} [${f1(Math.min(...cpus))}–${f1(Math.max(...cpus))}] | ${f1(median(rs.map((x) => x.sysUs)))} | ${f1(median(rs.map((x) => x.flushUs)))} | ${r.index ? '1.00×' : `${f2(median(cpus) / withIndex)}×`} | ${rs.length} |`;
  });
  return [
    '### The store alone (`SqliteStore.append`, synchronous=full, 1000 conversations, ~840-byte appends)',
    '',
    '| appends per commit | conversations | appends index | CPU µs / append | of it system | µs / append in flush | CPU ÷ with index | reps |',
    '|---:|---|---|---:|---:|---:|---:|---:|',
    ...rows,
    '',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { batches: { type: 'string', default: '10,600' }, reps: { type: 'string', default: '3' }, appends: { type: 'string', default: '30000' } } });
  const batches = values.batches.split(',').map(Number);
  const cases: StoreCase[] = batches.flatMap((batch) =>
    (['random', 'adjacent'] as const).flatMap((spread) => [true, false].map((index) => ({ batch, spread, index }))),
  );
  const results: StoreResult[] = [];
  for (let rep = 0; rep < Number(values.reps); rep++) {
    for (const c of rep % 2 ? [...cases].reverse() : cases) {
      const r = await measureStore(c, Math.max(1, Math.round(Number(values.appends) / c.batch)));
      console.error(`[bench:store] batch ${r.batch} ${r.spread} index ${r.index ? 'yes' : 'no'}: ${f2(r.cpuUs)} µs CPU per append`);
      results.push(r);
    }
  }
  console.log(formatStore(results));
}
