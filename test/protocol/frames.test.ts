/**
 * Socket frames and their order (seed "RTM Client/Server Events", reference §B.2–§B.6): bot_active on
 * connect, ping → pong (never a message), /bot.message → ack (replyto = client id) → bot_response with a
 * unique messageId, createdOn, icon, component + cInfo; templates; waiting_for_user_input; client acks,
 * client events and /bot.closeConversationSession; seq strictly increasing; duplicates stored once.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KoreClient, type Frame, type KoreSocket } from '../support/kore-client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  DEMO_BOT_INFO,
  ackFor,
  botText,
  chat,
  expectNothing,
  expectStrictlyIncreasing,
  frames,
  fullHistory,
  incomingTexts,
  isReply,
  isType,
  logFrames,
  nextClientId,
  uniqueIdentity,
  ISO,
} from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

/** A fresh user on a socket that will not get a welcome (so every bot_response is an answer). */
async function fresh(tag = 'frames'): Promise<{ client: KoreClient; socket: KoreSocket }> {
  const client = await KoreClient.login(server.url, { identity: uniqueIdentity(tag) });
  const socket = await client.connect({ isReconnect: true });
  await socket.next(isType('bot_active'));
  return { client, socket };
}

describe('on connect', () => {
  test('the first frame is bot_active, in the seed\'s shape', async () => {
    const client = await KoreClient.login(server.url, { identity: uniqueIdentity() });
    const socket = await client.connect();
    const first = await socket.next(() => true);
    expect(first).toMatchObject({ type: 'bot_active', from: 'bot', botInfo: DEMO_BOT_INFO, sessionId: expect.any(String) });
    expect(first['sessionId'].length).toBeGreaterThan(0);
    await socket.close();
  });
});

describe('a user message', () => {
  test('the SDK\'s frame (verbatim) is acked with replyto = clientMessageId, then answered', async () => {
    const { socket } = await fresh();
    const frame = frames.text('hello there');
    const id = frame['clientMessageId'];
    const before = Date.now();
    socket.send(frame);
    const ack = await socket.next(ackFor(id));
    const reply = await socket.next(isType('bot_response'));
    expect(ack).toMatchObject({ ok: true, replyto: id, message: 'delivered', type: 'ack' });
    expect(typeof ack['replyto']).toBe('number');
    expect(socket.frames.indexOf(ack)).toBeLessThan(socket.frames.indexOf(reply));
    // Canonical text shape (§B.5): type, from, message[0] with component + cInfo, messageId, createdOn, icon.
    expect(reply).toMatchObject({
      type: 'bot_response',
      from: 'bot',
      botInfo: DEMO_BOT_INFO,
      message: [{ type: 'text', component: { type: 'text', payload: { text: expect.any(String) } }, cInfo: { body: expect.any(String) } }],
      messageId: expect.stringMatching(/^[A-Za-z0-9_-]+$/),
      createdOn: expect.stringMatching(ISO),
      icon: expect.any(String),
    });
    expect(reply['message'][0].component.payload.text).toBe(reply['message'][0].cInfo.body);
    expect(botText(reply)).toMatch(/Hello!/);
    expect(Date.parse(reply['createdOn'])).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(reply['createdOn'])).toBeLessThanOrEqual(Date.now() + 1000);
    await socket.close();
  });

  test('icon is an absolute URL, so the avatar loads on the customer\'s page (another origin)', async () => {
    const { client, socket } = await fresh();
    const { reply } = await chat(socket, 'show me your face');
    // The seed's bot_response and history carry absolute icon URLs; the SDK puts `icon` straight into <img src>,
    // which a page on https://customer.example would resolve against its own origin.
    expect.soft(reply['icon'], 'bot_response.icon').toMatch(/^https?:\/\//);
    expect.soft((await client.history('&limit=10')).body.icon, 'history icon').toMatch(/^https?:\/\//);
    await socket.close();
  });

  test('the seed\'s sample frame (attachments: [], no client/meta) works the same', async () => {
    const { socket } = await fresh();
    const frame = frames.seed('Here is the message.');
    socket.send(frame);
    await socket.next(ackFor(frame['clientMessageId']));
    await socket.next(isReply('You said: Here is the message.'));
    await socket.close();
  });

  test('a string client id is echoed as that string', async () => {
    const { socket } = await fresh();
    socket.send(frames.text('string id', 'client-msg-42'));
    const ack = await socket.next(isType('ack'));
    expect(ack['replyto']).toBe('client-msg-42');
    await socket.close();
  });

  test('pipelined messages: acks in order, each before its answer, seq strictly increasing, ids unique', async () => {
    const { client, socket } = await fresh();
    const sent = Array.from({ length: 12 }, (_, i) => frames.text(`pipe ${i}`));
    for (const f of sent) socket.send(f);
    await socket.next(isReply('You said: pipe 11'), 8000);
    const acks = socket.ofType('ack');
    expect(acks.map((a) => a['replyto'])).toEqual(sent.map((f) => f['clientMessageId']));
    expectStrictlyIncreasing(acks.map((a) => a['seq']), 'ack seq');
    const replies = socket.ofType('bot_response');
    expect(replies.map(botText)).toEqual(sent.map((_, i) => `You said: pipe ${i}`));
    for (let i = 0; i < sent.length; i++) {
      expect(socket.frames.indexOf(acks[i]!), `ack ${i} after its answer`).toBeLessThan(socket.frames.indexOf(replies[i]!));
    }
    expectStrictlyIncreasing(logFrames(socket.frames).map((f) => f['seq']), 'seq');
    expectStrictlyIncreasing(socket.frames.filter((f) => typeof f['seq'] === 'number').map((f) => f['seq']), 'seq (acks included)');
    const ids = replies.map((r) => r['messageId']);
    expect(new Set(ids).size).toBe(ids.length);
    expect(incomingTexts(await fullHistory(client))).toEqual(sent.map((_, i) => `pipe ${i}`));
    await socket.close();
  });

  test('a frame sent again with the same clientMessageId is acked again but stored and answered once', async () => {
    const { client, socket } = await fresh();
    const frame = frames.text('only once');
    socket.send(frame);
    const first = await socket.next(ackFor(frame['clientMessageId']));
    await socket.next(isReply('You said: only once'));
    const from = socket.frames.length;
    socket.send(frame);
    const second = await socket.next(ackFor(frame['clientMessageId']), 3000, from);
    expect(second['seq']).toBe(first['seq']);
    // …also from a new connection of the same device (the SDK's retry after a reconnect).
    await socket.close();
    const again = await client.connect({ isReconnect: true });
    await again.next(isType('bot_active'));
    again.send(frame);
    await again.next(ackFor(frame['clientMessageId']));
    await expectNothing(again, isReply('You said: only once'), 300, 'second answer');
    expect(incomingTexts(await fullHistory(client)).filter((t) => t === 'only once')).toHaveLength(1);
    await again.close();
  });
});

describe('keep-alive', () => {
  test('the SDK ping gets a pong and is never treated as a message', async () => {
    const { client, socket } = await fresh();
    socket.send(frames.ping(1));
    const pong = await socket.next(isType('pong'));
    expect(pong).toMatchObject({ type: 'pong', replyto: 1 });
    socket.send(frames.ping(2));
    expect((await socket.next((f) => f['type'] === 'pong' && f['replyto'] === 2))['replyto']).toBe(2);
    await expectNothing(socket, (f) => ['ack', 'bot_response', 'error', 'user_message'].includes(f['type']), 300);
    expect((await client.history('&limit=10')).body.total).toBe(0);
    // Pings between messages do not disturb them.
    await chat(socket, 'after pings');
    await socket.close();
  });
});

describe('templates and waiting for input', () => {
  test('"help" answers a button template, wrapped as the platform does', async () => {
    const { socket } = await fresh();
    socket.send(frames.text('help'));
    const reply = await socket.next(isType('bot_response'));
    const el = reply['message'][0];
    expect(el.type).toBe('text');
    expect(el.component.type).toBe('template');
    expect(el.component.payload).toMatchObject({ type: 'template', payload: { template_type: 'button', text: expect.any(String) } });
    expect(JSON.parse(el.cInfo.body)).toEqual(el.component.payload);
    for (const b of el.component.payload.payload.buttons as Frame[]) expect(b['title']).toEqual(expect.any(String));
    await socket.close();
  });

  test('the "quick replies" question: quick_replies template, then waiting_for_user_input; a postback answers it', async () => {
    const { client, socket } = await fresh();
    socket.send(frames.text('quick replies'));
    const question = await socket.next(isType('bot_response'));
    const payload = question['message'][0].component.payload;
    expect(payload).toMatchObject({ type: 'template', payload: { template_type: 'quick_replies', text: expect.any(String) } });
    const replies = payload.payload.quick_replies as Frame[];
    expect(replies.length).toBeGreaterThan(0);
    for (const r of replies) expect(r).toMatchObject({ content_type: 'text', title: expect.any(String), payload: expect.any(String) });
    const waiting = await socket.next(isType('waiting_for_user_input'));
    expect(waiting).toMatchObject({ type: 'waiting_for_user_input', from: 'bot', botInfo: DEMO_BOT_INFO });
    expect(waiting['sessionId']).toBe(question['sessionId']);
    expect(socket.frames.indexOf(waiting)).toBeGreaterThan(socket.frames.indexOf(question));
    // The user taps "Red": body = payload, renderMsg = title (§B.3 #2).
    const red = replies.find((r) => r['title'] === 'Red') ?? replies[0]!;
    const tap = frames.postback(red['payload'], red['title']);
    socket.send(tap);
    await socket.next(ackFor(tap['clientMessageId']));
    await socket.next((f) => f['type'] === 'bot_response' && /it is/.test(botText(f) ?? ''));
    // History shows the title the user saw.
    expect(incomingTexts(await fullHistory(client))).toEqual(['quick replies', red['title']]);
    await socket.close();
  });
});

describe('other client frames', () => {
  test('a delivery ack and a client event are accepted silently and stored nowhere', async () => {
    const { client, socket } = await fresh();
    const { reply } = await chat(socket, 'to be acked');
    socket.send(frames.deliveryAck(reply['timestamp'] ?? nextClientId(), reply['key'] ?? reply['messageId']));
    socket.send(frames.typing());
    await expectNothing(socket, (f) => ['error', 'bot_response', 'user_message'].includes(f['type']), 300);
    expect((await client.history('&limit=10')).body.total).toBe(2);
    await chat(socket, 'still alive');
    await socket.close();
  });

  test('/bot.closeConversationSession ends the session; the next message starts a new one', async () => {
    const { socket } = await fresh();
    const { reply } = await chat(socket, 'before close');
    const old = reply['sessionId'];
    expect(old).toEqual(expect.any(String));
    const close = frames.closeSession();
    socket.send(close);
    const end = await socket.next(isType('session_end'));
    expect(end).toMatchObject({ from: 'bot', botInfo: DEMO_BOT_INFO, sessionId: old });
    await socket.next(ackFor(close['clientMessageId']));
    const { reply: next } = await chat(socket, 'after close');
    const start = await socket.next((f) => f['type'] === 'session_start' && f['sessionId'] !== old);
    expect(next['sessionId']).toBe(start['sessionId']);
    expect(socket.frames.indexOf(start)).toBeLessThan(socket.frames.indexOf(next));
    expectStrictlyIncreasing(logFrames(socket.frames).map((f) => f['seq']), 'seq');
    await socket.close();
  });
});

describe('every frame the server sends', () => {
  test('is a JSON text object with a type', async () => {
    const { socket } = await fresh();
    const raw: { data: string; binary: boolean }[] = [];
    socket.ws.on('message', (data, isBinary) => raw.push({ data: data.toString(), binary: isBinary }));
    socket.send(frames.ping(7));
    await chat(socket, 'tell me about frames');
    socket.send('this is not json');
    await socket.next(isType('error'));
    for (const r of raw) {
      expect(r.binary).toBe(false);
      const parsed = JSON.parse(r.data);
      expect(typeof parsed.type).toBe('string');
    }
    await socket.close();
  });
});
