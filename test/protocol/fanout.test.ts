/**
 * Multi-device fan-out, reconnect replay and the welcome (seed "user_message", reference §B.1, §B.4,
 * §B.7): a user's message goes to their OTHER connections as user_message (from:"self"), never back to
 * the sender; a device that reconnects with isReconnect=true gets what it missed and no welcome; a new
 * connection is greeted only after its history call was answered (or ~1 s).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KoreClient, KoreSocket, type Frame } from '../support/kore-client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  DEMO_BOT_INFO,
  botText,
  chat,
  expectNothing,
  expectStrictlyIncreasing,
  isReply,
  isType,
  logFrames,
  uniqueIdentity,
} from './helpers.js';

const WELCOME = /Colloquy demo bot/;
const isWelcome = (f: Frame) => f['type'] === 'bot_response' && WELCOME.test(botText(f) ?? '');
const userMessage = (body: string) => (f: Frame) => f['type'] === 'user_message' && f['message']?.body === body;

describe('fan-out to the same user\'s other connections', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  test('another device gets user_message (from:"self") then the same bot_response; the sender gets no echo', async () => {
    const identity = uniqueIdentity('multi');
    const phone = await KoreClient.login(server.url, { identity });
    const laptop = await KoreClient.login(server.url, { identity });
    const a = await phone.connect({ isReconnect: true });
    const b = await laptop.connect({ isReconnect: true });
    await a.next(isType('bot_active'));
    await b.next(isType('bot_active'));
    const { id, reply } = await chat(a, 'sent from the phone');
    const echoed = await b.next(userMessage('sent from the phone'));
    // The seed's user_message sample: botInfo, from, message{body, attachments}, id, type.
    expect(echoed).toMatchObject({ type: 'user_message', from: 'self', botInfo: DEMO_BOT_INFO, message: { body: 'sent from the phone', attachments: [] }, id });
    const same = await b.next((f) => f['type'] === 'bot_response' && f['messageId'] === reply['messageId']);
    expect(b.frames.indexOf(echoed)).toBeLessThan(b.frames.indexOf(same));
    expect(b.ofType('ack')).toEqual([]);
    await expectNothing(a, isType('user_message'), 300, 'echo to the sender');
    // And the other way round.
    await chat(b, 'sent from the laptop');
    await a.next(userMessage('sent from the laptop'));
    await expectNothing(b, isType('user_message'), 200, 'echo to the sender');
    expectStrictlyIncreasing(logFrames(a.frames).map((f) => f['seq']), 'seq on a');
    expectStrictlyIncreasing(logFrames(b.frames).map((f) => f['seq']), 'seq on b');
    await Promise.all([a.close(), b.close()]);
  });

  test('a reconnect of the same device replaces its older socket (4501) and carries on where it left off', async () => {
    // One access token is one page session, which holds one socket: a second socket of the same device
    // with isReconnect=true means the first one is dead even if the server has not noticed yet.
    const client = await KoreClient.login(server.url, { identity: uniqueIdentity('tabs') });
    const first = await client.connect({ isReconnect: true });
    await first.next(isType('bot_active'));
    const { reply: before } = await chat(first, 'from the first socket');
    const second = await client.connect({ isReconnect: true });
    expect((await first.closed).code).toBe(4501);
    await second.next(isType('bot_active'));
    const { reply } = await chat(second, 'from the second socket');
    expect(reply['seq']).toBeGreaterThan(before['seq']);
    await expectNothing(second, isType('user_message'), 100, 'an echo of its own device');
    await second.close();
  });

  test('postbacks fan out with the title the user saw', async () => {
    const identity = uniqueIdentity('postback');
    const a = await (await KoreClient.login(server.url, { identity })).connect({ isReconnect: true });
    const b = await (await KoreClient.login(server.url, { identity })).connect({ isReconnect: true });
    await Promise.all([a.next(isType('bot_active')), b.next(isType('bot_active'))]);
    a.send({ clientMessageId: 99, resourceid: '/bot.message', message: { body: 'fruit cherry', renderMsg: 'Cherry' }, botInfo: DEMO_BOT_INFO, client: 'sdk', meta: { timezone: 'Etc/UTC', locale: 'en-US' }, id: 99 });
    const echoed = await b.next(isType('user_message'));
    expect(echoed['message'].body).toBe('Cherry');
    await Promise.all([a.close(), b.close()]);
  });

  test('an attachment message fans out with its attachments (the SDK reads attachments[0].fileId)', async () => {
    const identity = uniqueIdentity('attach');
    const a = await (await KoreClient.login(server.url, { identity })).connect({ isReconnect: true });
    const b = await (await KoreClient.login(server.url, { identity })).connect({ isReconnect: true });
    await Promise.all([a.next(isType('bot_active')), b.next(isType('bot_active'))]);
    const attachments = [{ fileName: 'a.pdf', fileType: 'attachment', fileId: 'f-123' }];
    a.send({ clientMessageId: 501, resourceid: '/bot.message', message: { body: '', attachments }, botInfo: DEMO_BOT_INFO, client: 'sdk', meta: { timezone: 'Etc/UTC', locale: 'en-US' }, id: 501 });
    await a.next((f) => f['type'] === 'ack' && f['replyto'] === 501);
    const echoed = await b.next(isType('user_message'));
    expect(echoed['message'].attachments[0]).toMatchObject({ fileId: 'f-123' });
    await Promise.all([a.close(), b.close()]);
  });

  test('two devices talking at once see one conversation in one order', async () => {
    const identity = uniqueIdentity('together');
    const a = await (await KoreClient.login(server.url, { identity })).connect({ isReconnect: true });
    const b = await (await KoreClient.login(server.url, { identity })).connect({ isReconnect: true });
    await Promise.all([a.next(isType('bot_active')), b.next(isType('bot_active'))]);
    for (let i = 0; i < 8; i++) {
      a.send({ clientMessageId: 1000 + i, resourceid: '/bot.message', message: { body: `from a ${i}` }, botInfo: DEMO_BOT_INFO, id: 1000 + i });
      b.send({ clientMessageId: 2000 + i, resourceid: '/bot.message', message: { body: `from b ${i}` }, botInfo: DEMO_BOT_INFO, id: 2000 + i });
    }
    const done = (s: typeof a) => s.next(() => s.ofType('bot_response').length >= 16, 8000);
    await Promise.all([done(a), done(b)]);
    const order = (s: typeof a) => s.ofType('bot_response').map((f) => f['messageId']);
    expect(order(a)).toEqual(order(b));
    expect(a.ofType('user_message').map((f) => f['message'].body)).toEqual(Array.from({ length: 8 }, (_, i) => `from b ${i}`));
    expect(b.ofType('user_message').map((f) => f['message'].body)).toEqual(Array.from({ length: 8 }, (_, i) => `from a ${i}`));
    for (const s of [a, b]) expectStrictlyIncreasing(s.frames.filter((f) => typeof f['seq'] === 'number').map((f) => f['seq']), 'seq (acks included)');
    await Promise.all([a.close(), b.close()]);
  });

  test('other users see nothing', async () => {
    const alice = await (await KoreClient.login(server.url, { identity: uniqueIdentity('alice') })).connect({ isReconnect: true });
    const bob = await (await KoreClient.login(server.url, { identity: uniqueIdentity('bob') })).connect({ isReconnect: true });
    await Promise.all([alice.next(isType('bot_active')), bob.next(isType('bot_active'))]);
    await chat(alice, 'private to alice');
    await expectNothing(bob, (f) => f['type'] === 'user_message' || f['type'] === 'bot_response', 300);
    await Promise.all([alice.close(), bob.close()]);
  });
});

describe('reconnect', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ settings: { welcomeFallbackMs: 300 } });
  });
  afterAll(() => server.stop());

  test('a device back with isReconnect=true gets what was published while it was away, once, and no welcome', async () => {
    const identity = uniqueIdentity('away');
    const phone = await KoreClient.login(server.url, { identity });
    const laptop = await KoreClient.login(server.url, { identity });
    const a = await phone.connect();
    await phone.history('&limit=10');
    await a.next(isWelcome);
    const b = await laptop.connect({ isReconnect: true });
    await b.next(isType('bot_active'));
    const before = await chat(a, 'before the tunnel');
    await b.next(userMessage('before the tunnel'));
    const seenBefore = new Set(a.frames.map((f) => f['messageId']).filter(Boolean));
    await a.close();

    // While the phone is away, the laptop chats.
    const r1 = await chat(b, 'while away 1');
    const r2 = await chat(b, 'while away 2');

    const back = await phone.connect({ isReconnect: true });
    await back.next(isType('bot_active'));
    await phone.history('&limit=10');
    await back.next(isReply('You said: while away 2'));
    const missed = back.frames.filter((f) => f['type'] === 'user_message' || f['type'] === 'bot_response');
    expect(missed.map((f) => (f['type'] === 'user_message' ? `user:${f['message'].body}` : `bot:${botText(f)}`))).toEqual([
      'user:while away 1',
      'bot:You said: while away 1',
      'user:while away 2',
      'bot:You said: while away 2',
    ]);
    expect(missed.filter((f) => f['type'] === 'bot_response').map((f) => f['messageId'])).toEqual([r1.reply['messageId'], r2.reply['messageId']]);
    for (const f of back.frames) if (f['messageId']) expect(seenBefore.has(f['messageId'])).toBe(false);
    expect(seenBefore.has(before.reply['messageId'])).toBe(true);
    expectStrictlyIncreasing(logFrames(back.frames).map((f) => f['seq']), 'replayed seq');
    // No welcome for a reconnect, even after its history call and the fallback delay.
    await expectNothing(back, isWelcome, 700, 'welcome on reconnect');
    // Live traffic continues after the replay.
    await chat(back, 'back online');
    await b.next(userMessage('back online'));
    await Promise.all([back.close(), b.close()]);
  });

  test('a device whose old socket silently died (server has not noticed yet) still gets what it missed', async () => {
    // A phone switching networks: its TCP connection is dead but the server's side of it is still open
    // (heartbeats take up to 30 s). The SDK reconnects with isReconnect=true after 3 s.
    const identity = uniqueIdentity('halfopen');
    const phone = await KoreClient.login(server.url, { identity });
    const laptop = await KoreClient.login(server.url, { identity });
    const dead = await phone.connect({ isReconnect: true });
    const b = await laptop.connect({ isReconnect: true });
    await Promise.all([dead.next(isType('bot_active')), b.next(isType('bot_active'))]);
    await chat(b, 'seen by the phone');
    await dead.next(userMessage('seen by the phone'));
    (dead.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    await chat(b, 'lost in the tunnel');

    const back = await phone.connect({ isReconnect: true });
    await back.next(isType('bot_active'));
    await back.next(userMessage('lost in the tunnel'), 2000);
    await back.next(isReply('You said: lost in the tunnel'), 2000);
    await Promise.all([back.close(), b.close()]);
    dead.ws.terminate();
  });

  test('a reconnect replays nothing when nothing happened', async () => {
    const client = await KoreClient.login(server.url, { identity: uniqueIdentity('quiet') });
    const a = await client.connect({ isReconnect: true });
    await a.next(isType('bot_active'));
    await chat(a, 'one');
    await a.close();
    const back = await client.connect({ isReconnect: true });
    await back.next(isType('bot_active'));
    await expectNothing(back, (f) => f['type'] === 'bot_response' || f['type'] === 'user_message', 500);
    await back.close();
  });
});

describe('the welcome (On-Connect)', () => {
  test('waits for the history call, then arrives at once, to that window only', async () => {
    const server = await startTestServer({ settings: { welcomeFallbackMs: 5000 } });
    try {
      const identity = uniqueIdentity('welcome');
      const client = await KoreClient.login(server.url, { identity });
      const other = await (await KoreClient.login(server.url, { identity })).connect({ isReconnect: true });
      await other.next(isType('bot_active'));
      const socket = await client.connect();
      await socket.next(isType('bot_active'));
      await expectNothing(socket, (f) => f['type'] === 'bot_response', 500, 'welcome before history');
      const asked = Date.now();
      const res = await client.history('&limit=10');
      expect(res.status).toBe(200);
      const welcome = await socket.next(isWelcome, 3000);
      // Released by the history call, not by the 5 s fallback.
      expect(Date.now() - asked).toBeLessThan(3000);
      expect(welcome).toMatchObject({ type: 'bot_response', from: 'bot', messageId: expect.any(String) });
      // Another device of the same user is not greeted for this window.
      await expectNothing(other, isWelcome, 300, 'someone else\'s welcome');
      await Promise.all([socket.close(), other.close()]);
    } finally {
      await server.stop();
    }
  });

  test('without a history call it comes after about 1 s', async () => {
    const server = await startTestServer();
    try {
      const client = await KoreClient.login(server.url, { identity: uniqueIdentity('nohistory') });
      const socket = await client.connect();
      await socket.next(isType('bot_active'));
      const opened = Date.now();
      await socket.next(isWelcome, 4000);
      const waited = Date.now() - opened;
      expect(waited).toBeGreaterThanOrEqual(700);
      expect(waited).toBeLessThan(4000);
      await socket.close();
    } finally {
      await server.stop();
    }
  });

  test('a history call answered just before the socket opened also releases it (the SDK races them)', async () => {
    const server = await startTestServer({ settings: { welcomeFallbackMs: 5000 } });
    try {
      const client = await KoreClient.login(server.url, { identity: uniqueIdentity('race') });
      const { body } = await client.rtmStart();
      const [socket] = await Promise.all([
        KoreSocket.open(body.url, client),
        client.history('&limit=10'),
      ]);
      await socket.next(isWelcome, 2000);
      await socket.close();
    } finally {
      await server.stop();
    }
  });
});
