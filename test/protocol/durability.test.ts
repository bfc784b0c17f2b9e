/**
 * Durability of the real server process: every acknowledged message is durable before its ack, so it
 * survives `kill -9` — present exactly once and in order after a restart on the same data directory.
 * And SIGTERM is a graceful shutdown: sockets closed with 1001, exit code 0.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { KoreClient, type KoreSocket } from '../support/kore-client.js';
import { newDataDir } from '../support/server.js';
import { chat, closeWithin, eventually, frames, fullHistory, incomingTexts, isType } from './helpers.js';
import { ensureBuilt, startServerProcess, type ServerProcess } from './processes.js';

const ENV = { COLLOQUY_RATE_LIMIT_BURST: '1000000', COLLOQUY_RATE_LIMIT_PER_SEC: '1000000' };
const USERS = 4;

let dataDir: string;
const running: ServerProcess[] = [];
beforeAll(async () => {
  await ensureBuilt();
  dataDir = newDataDir();
}, 180_000);
afterAll(() => {
  for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<ServerProcess> {
  const p = await startServerProcess(dataDir, ENV);
  running.push(p);
  return p;
}

test('every acked message survives kill -9 of the server, exactly once and in order', async () => {
  const first = await start();
  const run = randomUUID().slice(0, 8);
  const identities = Array.from({ length: USERS }, (_, u) => `durable-${run}-${u}@example.com`);
  const clients = await Promise.all(identities.map((identity) => KoreClient.login(first.url, { identity })));
  const sockets: KoreSocket[] = await Promise.all(clients.map((c) => c.connect({ isReconnect: true })));
  await Promise.all(sockets.map((s) => s.next(isType('bot_active'))));

  // Each user streams numbered messages, keeping up to 25 unacked in flight; ids map back to numbers.
  const sentIds = sockets.map(() => new Map<number | string, number>());
  const counters = sockets.map(() => 0);
  let sending = true;
  const pump = (async () => {
    while (sending) {
      for (let u = 0; u < USERS; u++) {
        const s = sockets[u]!;
        if (s.ws.readyState !== s.ws.OPEN) continue;
        while (counters[u]! - s.ofType('ack').length < 25) {
          const i = counters[u]!++;
          const f = frames.text(`durable ${u} ${i}`);
          sentIds[u]!.set(f['clientMessageId'], i);
          s.send(f);
        }
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  })();
  const ackedCount = () => sockets.reduce((n, s) => n + s.ofType('ack').length, 0);
  try {
    await eventually(async () => ackedCount() >= 400, 20_000, 5, '400 acks');
    first.child.kill('SIGKILL');
    const exit = await first.exited;
    expect(exit.signal).toBe('SIGKILL');
    await Promise.all(sockets.map((s) => closeWithin(s, 5000)));
  } finally {
    sending = false;
    await pump;
  }

  const acked = sockets.map((s, u) => s.ofType('ack').map((a) => {
    const i = sentIds[u]!.get(a['replyto']);
    expect(i, `ack for an id never sent: ${a['replyto']}`).toBeDefined();
    return i!;
  }));
  const total = acked.reduce((n, a) => n + a.length, 0);
  expect(total).toBeGreaterThanOrEqual(400);

  const second = await start();
  for (let u = 0; u < USERS; u++) {
    const client = await KoreClient.login(second.url, { identity: identities[u]! });
    const numbers = incomingTexts(await fullHistory(client)).map((t) => {
      const m = /^durable (\d+) (\d+)$/.exec(t);
      expect(m, `unexpected message in user ${u}'s history: ${t}`).not.toBeNull();
      expect(Number(m![1])).toBe(u);
      return Number(m![2]);
    });
    // In order and never twice…
    for (let k = 1; k < numbers.length; k++) expect(numbers[k]!, `user ${u}: order/duplicate at ${k}`).toBeGreaterThan(numbers[k - 1]!);
    // …and every acked message is there.
    const stored = new Set(numbers);
    const lost = acked[u]!.filter((i) => !stored.has(i));
    expect(lost, `user ${u}: acked but lost after kill -9`).toEqual([]);
    // Acks themselves came in send order.
    for (let k = 1; k < acked[u]!.length; k++) expect(acked[u]![k]!).toBeGreaterThan(acked[u]![k - 1]!);
  }

  // The restarted server works normally on the same data: the conversation continues.
  const again = await KoreClient.login(second.url, { identity: identities[0]! });
  const socket = await again.connect({ isReconnect: true });
  await socket.next(isType('bot_active'));
  const turn = frames.text('after the crash');
  socket.send(turn);
  const answer = await socket.next((f) => (f['type'] === 'ack' && f['replyto'] === turn['clientMessageId']) || f['type'] === 'error');
  expect(answer, 'the first message after the restart was refused').toMatchObject({ type: 'ack' });
  await socket.close();
  second.child.kill('SIGKILL');
  await second.exited;
}, 60_000);

test('SIGTERM drains: sockets are closed with 1001, acked messages are kept, the process exits 0', async () => {
  const server = await start();
  const identity = `graceful-${randomUUID().slice(0, 8)}@example.com`;
  const client = await KoreClient.login(server.url, { identity });
  const socket = await client.connect({ isReconnect: true });
  await socket.next(isType('bot_active'));
  await chat(socket, 'before sigterm');
  server.child.kill('SIGTERM');
  expect((await closeWithin(socket, 15_000)).code).toBe(1001);
  expect((await server.exited).code).toBe(0);

  const next = await start();
  const after = await KoreClient.login(next.url, { identity });
  expect(incomingTexts(await fullHistory(after))).toEqual(['before sigterm']);
  next.child.kill('SIGTERM');
  expect((await next.exited).code).toBe(0);
}, 60_000);
