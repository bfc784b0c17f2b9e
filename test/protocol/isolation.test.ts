/**
 * Isolation: no bad frame ever affects another connection or loses an acked message. While several
 * connections (another user, and another connection of the very same user and device) throw malformed
 * JSON, binary frames, invalid UTF-8 and oversized frames at the server, a well-behaved connection
 * chats undisturbed: every message acked and answered in order, nothing lost, no error frames.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { KoreClient, type KoreSocket } from '../support/kore-client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  chat,
  expectStrictlyIncreasing,
  frames,
  fullHistory,
  incomingTexts,
  isType,
  logFrames,
  sleep,
  uniqueIdentity,
} from './helpers.js';

const LIMIT = 2048;
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ settings: { wsMaxPayloadBytes: LIMIT, rateLimitBurst: 1000, rateLimitPerSec: 1000 } });
});
afterAll(() => server.stop());

type Attack = { name: string; expected: number; send: (s: KoreSocket, i: number) => void };

const ATTACKS: Attack[] = [
  { name: 'malformed JSON', expected: 1002, send: (s, i) => s.send(i % 2 ? '{"broken": ' : '{"resourceid":"/bot.message","message":{"body":7}}') },
  { name: 'binary', expected: 1007, send: (s) => s.ws.send(Buffer.from([0, 1, 2, 3]), { binary: true }) },
  { name: 'invalid UTF-8', expected: 1007, send: (s) => s.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false }) },
  { name: 'oversized', expected: 1009, send: (s) => s.send(JSON.stringify(frames.text('x'.repeat(LIMIT * 2)))) },
];

/** Keep attacking on fresh connections of `client` until `stop()`; returns the close codes seen. */
function storm(client: KoreClient, attack: Attack, isReconnect = true): { stop: () => Promise<number[]> } {
  const codes: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const socket = await client.connect({ isReconnect });
      await socket.next(isType('bot_active'));
      for (let i = 0; socket.ws.readyState === socket.ws.OPEN && i < 200; i++) {
        attack.send(socket, i);
        if (i % 5 === 4) await sleep(1);
      }
      codes.push((await socket.closed).code);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return codes;
    },
  };
}

test('a chatting connection is undisturbed by storms on other connections, including its own device\'s', async () => {
  const identity = uniqueIdentity('victim');
  const victim = await KoreClient.login(server.url, { identity });
  const socket = await victim.connect({ isReconnect: true });
  await socket.next(isType('bot_active'));

  // Attackers: another user, another device of the same user, and the victim's own device (same token).
  // The own-device storms open fresh windows: a reconnect (isReconnect=true) of the device would replace
  // the victim's socket by design (one page holds one socket), which is not a disturbance but a handover.
  // Each storm is its own device (its reconnects replace only its own sockets).
  const strangerIdentity = uniqueIdentity('stranger');
  const stranger = () => KoreClient.login(server.url, { identity: strangerIdentity });
  const sibling = () => KoreClient.login(server.url, { identity });
  const storms = [
    ...(await Promise.all(ATTACKS.map(async (a) => ({ a, s: storm(await stranger(), a) })))),
    ...(await Promise.all(ATTACKS.map(async (a) => ({ a, s: storm(await sibling(), a) })))),
    { a: ATTACKS[0]!, s: storm(victim, ATTACKS[0]!, false) },
    { a: ATTACKS[3]!, s: storm(victim, ATTACKS[3]!, false) },
  ];

  const sent: string[] = [];
  for (let i = 0; i < 25; i++) {
    const body = `steady ${i}`;
    const { ack, reply } = await chat(socket, body, 8000);
    expect(ack).toMatchObject({ ok: true, type: 'ack' });
    expect(reply['type']).toBe('bot_response');
    sent.push(body);
  }
  // And a pipelined burst while the storms still rage.
  const burst = Array.from({ length: 20 }, (_, i) => frames.text(`burst ${i}`));
  for (const f of burst) socket.send(f);
  await socket.next((f) => f['type'] === 'bot_response' && f['message'][0].cInfo.body === 'You said: burst 19', 8000);
  sent.push(...burst.map((f) => f['message'].body as string));

  const results = await Promise.all(storms.map(async ({ a, s }) => ({ a, codes: await s.stop() })));
  for (const { a, codes } of results) {
    expect(codes.length, `${a.name}: no storm connection finished`).toBeGreaterThan(0);
    for (const code of codes) expect(code, a.name).toBe(a.expected);
  }

  expect(socket.ws.readyState).toBe(socket.ws.OPEN);
  expect(socket.ofType('error')).toEqual([]);
  expect(socket.ofType('ack').map((a) => a['replyto']).slice(-20)).toEqual(burst.map((f) => f['clientMessageId']));
  expectStrictlyIncreasing(logFrames(socket.frames).map((f) => f['seq']), 'seq on the steady connection');
  const replies = socket.ofType('bot_response').map((f) => f['message'][0].cInfo.body as string);
  expect(replies).toEqual(sent.map((b) => `You said: ${b}`));
  // The sibling device's connections were in the same conversation: the victim's history is exactly its own words.
  expect(incomingTexts(await fullHistory(victim))).toEqual(sent);
  expect(incomingTexts(await fullHistory(await stranger()))).toEqual([]);
  await socket.close();
});

test('messages acked on a connection that is later closed for bad frames are all kept, in order', async () => {
  const client = await KoreClient.login(server.url, { identity: uniqueIdentity('mixed') });
  const acked: string[] = [];
  for (const attack of ATTACKS) {
    const socket = await client.connect({ isReconnect: true });
    await socket.next(isType('bot_active'));
    for (let i = 0; i < 5; i++) {
      const body = `${attack.name} ok ${i}`;
      await chat(socket, body);
      acked.push(body);
    }
    for (let i = 0; socket.ws.readyState === socket.ws.OPEN && i < 100; i++) attack.send(socket, i);
    expect((await socket.closed).code).toBe(attack.expected);
  }
  expect(incomingTexts(await fullHistory(client))).toEqual(acked);
});
