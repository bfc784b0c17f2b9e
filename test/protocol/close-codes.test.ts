/**
 * WebSocket close codes (seed "WebSocket Error Scenarios", reference §C.1): 1007 binary or invalid
 * UTF-8, 1009 over the (configurable) payload limit, 1002 for repeated protocol violations while one
 * malformed frame only gets an error frame, 1008 for a rate limit followed by an rtm/start refused with
 * "error":"account_inactive" during the penalty only, 1001 on graceful shutdown. Acked messages survive
 * every one of them.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/core/memory/clock.js';
import { KoreClient, type KoreSocket } from '../support/kore-client.js';
import { newDataDir, startTestServer, type TestServer } from '../support/server.js';
import { ackFor, chat, closeWithin, frames, fullHistory, incomingTexts, isType, uniqueIdentity } from './helpers.js';

async function connected(server: TestServer, tag: string): Promise<{ client: KoreClient; socket: KoreSocket }> {
  const client = await KoreClient.login(server.url, { identity: uniqueIdentity(tag) });
  const socket = await client.connect({ isReconnect: true });
  await socket.next(isType('bot_active'));
  return { client, socket };
}

describe('invalid data and sizes', () => {
  const LIMIT = 1024;
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ settings: { wsMaxPayloadBytes: LIMIT } });
  });
  afterAll(() => server.stop());

  test('a binary frame closes with 1007; an acked message before it is kept; reconnecting is allowed', async () => {
    const { client, socket } = await connected(server, 'binary');
    await chat(socket, 'before binary');
    socket.ws.send(Buffer.from(JSON.stringify(frames.text('as binary'))), { binary: true });
    expect((await closeWithin(socket)).code).toBe(1007);
    expect(incomingTexts(await fullHistory(client))).toEqual(['before binary']);
    const again = await client.connect({ isReconnect: true });
    await chat(again, 'after binary');
    await again.close();
  });

  test('a text frame with invalid UTF-8 closes with 1007', async () => {
    const { client, socket } = await connected(server, 'utf8');
    await chat(socket, 'before utf8');
    const bad = Buffer.concat([Buffer.from('{"clientMessageId":1,"message":{"body":"'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('"},"resourceid":"/bot.message","id":1}')]);
    socket.ws.send(bad, { binary: false });
    expect((await closeWithin(socket)).code).toBe(1007);
    expect(incomingTexts(await fullHistory(client))).toEqual(['before utf8']);
  });

  test('a frame of exactly the limit is accepted; one byte more closes with 1009', async () => {
    const { client, socket } = await connected(server, 'size');
    const sized = (bytes: number) => {
      const frame = frames.text('');
      const overhead = Buffer.byteLength(JSON.stringify(frame));
      frame['message'].body = 'x'.repeat(bytes - overhead);
      const text = JSON.stringify(frame);
      expect(Buffer.byteLength(text)).toBe(bytes);
      return { frame, text };
    };
    const fits = sized(LIMIT);
    socket.send(fits.text);
    await socket.next(ackFor(fits.frame['clientMessageId']));
    const big = sized(LIMIT + 1);
    socket.send(big.text);
    expect((await closeWithin(socket)).code).toBe(1009);
    expect(incomingTexts(await fullHistory(client))).toEqual([fits.frame['message'].body]);
  });
});

describe('protocol violations', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  const MALFORMED = [
    'not json at all',
    '[1,2,3]',
    '"just a string"',
    'null',
    '{"resourceid":"/bot.message","message":{"body":42}}',
    '{"resourceid":"/bot.message","message":"hello"}',
    '{"hello":"world"}',
    '{"clientMessageId":1,"resourceid":"/bot.message","message":{"body":"   "},"id":1}',
  ];

  test.each(MALFORMED)('a single malformed frame %s gets an error frame and the connection lives', async (text) => {
    const { socket } = await connected(server, 'single');
    socket.send(text);
    const err = await socket.next(isType('error'));
    expect(err['error']?.code ?? err['error']).toBeTruthy();
    await chat(socket, 'still talking');
    expect(socket.ws.readyState).toBe(socket.ws.OPEN);
    await socket.close();
  });

  test('repeated violations close with 1002; messages acked in between are kept', async () => {
    const { client, socket } = await connected(server, 'storm');
    const acked: string[] = [];
    for (let i = 0; i < 3; i++) {
      await chat(socket, `good ${i}`);
      acked.push(`good ${i}`);
      socket.send(MALFORMED[i]!);
      await socket.next((f) => f['type'] === 'error' && socket.ofType('error').length === i + 1);
    }
    for (let i = 0; i < 50 && socket.ws.readyState === socket.ws.OPEN; i++) socket.send(MALFORMED[i % MALFORMED.length]!);
    expect((await closeWithin(socket)).code).toBe(1002);
    expect(incomingTexts(await fullHistory(client))).toEqual(acked);
    // A protocol error is not a policy decision: the next rtm/start is allowed.
    expect((await client.rtmStart()).status).toBe(200);
  });
});

describe('rate limit (1008)', () => {
  let clock: ManualClock;
  let server: TestServer;
  beforeAll(async () => {
    clock = new ManualClock(Date.now());
    server = await startTestServer({ clock, settings: { rateLimitBurst: 3, rateLimitPerSec: 1, rateLimitPenaltySec: 30 } });
  });
  afterAll(() => server.stop());

  test('over the limit: error frame, close 1008, rtm/start refused with account_inactive during the penalty only', async () => {
    const { client, socket } = await connected(server, 'flood');
    const sent = Array.from({ length: 5 }, (_, i) => frames.text(`flood ${i}`));
    for (const f of sent) socket.send(f);
    const { code } = await closeWithin(socket);
    expect(code).toBe(1008);
    // The three messages within the budget were accepted: each is acked before the connection closes.
    const acked = socket.ofType('ack').map((a) => a['replyto']);
    expect.soft(acked, 'messages within the budget were stored but never acked').toEqual(sent.slice(0, 3).map((f) => f['clientMessageId']));
    const err = socket.frames.find((f) => f['type'] === 'error');
    expect(err?.['error']?.code).toBe('RATE_LIMITED');
    expect(err?.['replyto']).toBe(sent[3]!['clientMessageId']);
    // Acked messages are stored; the refused ones are not.
    expect(incomingTexts(await fullHistory(client))).toEqual(['flood 0', 'flood 1', 'flood 2']);

    const raw = await fetch(`${server.url}/api/rtm/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `bearer ${client.accessToken}` },
      body: JSON.stringify({ botInfo: client.botInfo, token: {} }),
    });
    const text = await raw.text();
    expect(raw.status).not.toBe(200);
    expect(text).toContain('"error":"account_inactive"');
    expect(JSON.parse(text).errors[0].msg).toEqual(expect.any(String));
    // Other users are not affected.
    const other = await connected(server, 'bystander');
    await chat(other.socket, 'not me');
    await other.socket.close();

    clock.advance(29_000);
    expect((await client.rtmStart()).status).not.toBe(200);
    clock.advance(2_000);
    const start = await client.rtmStart();
    expect(start.status, JSON.stringify(start.body)).toBe(200);
    const back = await client.connect({ isReconnect: true });
    await chat(back, 'after the penalty');
    await back.close();
  });
});

describe('graceful shutdown (1001)', () => {
  test('every socket is closed with 1001 and every acked message is still there after a restart', async () => {
    const dataDir = newDataDir();
    try {
      const first = await startTestServer({ dataDir });
      const identity = uniqueIdentity('shutdown');
      const client = await KoreClient.login(first.url, { identity });
      const a = await client.connect({ isReconnect: true });
      const b = await (await KoreClient.login(first.url, { identity: uniqueIdentity('other') })).connect({ isReconnect: true });
      await Promise.all([a.next(isType('bot_active')), b.next(isType('bot_active'))]);
      await chat(a, 'before shutdown');
      const last = frames.text('right before shutdown');
      a.send(last);
      await a.next(ackFor(last['clientMessageId']));
      const stopping = first.stop();
      const [ca, cb] = await Promise.all([closeWithin(a, 15_000), closeWithin(b, 15_000)]);
      await stopping;
      expect(ca.code).toBe(1001);
      expect(cb.code).toBe(1001);

      const second = await startTestServer({ dataDir });
      try {
        const again = await KoreClient.login(second.url, { identity });
        expect(incomingTexts(await fullHistory(again))).toEqual(['before shutdown', 'right before shutdown']);
        // …and the conversation simply continues on the restarted server.
        const socket = await again.connect({ isReconnect: true });
        await socket.next(isType('bot_active'));
        const turn = frames.text('after the restart');
        socket.send(turn);
        const answer = await socket.next((f) => (f['type'] === 'ack' && f['replyto'] === turn['clientMessageId']) || f['type'] === 'error');
        expect(answer, 'the first message after a restart was refused').toMatchObject({ type: 'ack' });
        await socket.close();
        expect(incomingTexts(await fullHistory(again))).toEqual(['before shutdown', 'right before shutdown', 'after the restart']);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
