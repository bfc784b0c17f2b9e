/**
 * Transport details of the Aisera channel: Socket.IO over long-polling (the handshake path answered beside
 * Fastify's routes), the Socket.IO ack callback, rate limits as `Error` 429 frames (the socket stays; agents
 * have a budget too), and a graceful shutdown telling raw WebSocket (1001) and Socket.IO (`closing` 1001)
 * clients to reconnect.
 */
import { expect, test } from 'vitest';
import { AISERA_BOT_DIR, DEMO_CHANNEL_ID, DEMO_CHANNEL_KEY, RawClient, SioClient, request, texts, uniqueUser, userToken } from '../support/aisera-client.js';
import { startTestServer } from '../support/server.js';

const demo = () => ({ token: DEMO_CHANNEL_KEY, userId: uniqueUser(), channelId: DEMO_CHANNEL_ID });

test('Socket.IO over long-polling; the ack callback; the HTTP API still answers beside it', async () => {
  const server = await startTestServer({ settings: { demoBot: AISERA_BOT_DIR } });
  try {
    const c = await SioClient.connect(server.url, { transports: ['polling'] });
    expect(texts(await c.ask(request(demo(), { text: 'polling works' })))).toEqual(['You said: polling works']);
    const ack = await c.socket.timeout(5000).emitWithAck('message', request(demo(), { text: 'with an ack' }));
    expect(ack).toEqual({ received: true });
    c.close();
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
  } finally {
    await server.stop();
  }
});

test('over the rate limit a request gets Error 429 RATE_LIMITED and the socket stays open', async () => {
  const server = await startTestServer({ settings: { demoBot: AISERA_BOT_DIR, rateLimitBurst: 3, rateLimitPerSec: 0.1 } });
  try {
    const c = await RawClient.connect(server.url);
    const who = demo();
    const codes: unknown[] = [];
    for (let i = 0; i < 5; i++) codes.push((await c.ask(request(who, { text: `n${i}` }))).at(-1)!['errorCode'] ?? 'ok');
    expect(codes).toEqual(['ok', 'ok', 'ok', 'RATE_LIMITED', 'RATE_LIMITED']);
    expect(c.frames.at(-1)).toMatchObject({ modeType: 'Error', code: 429, retryable: true });
    expect(c.closeCode).toBeUndefined();
    // Another user is not limited by this one.
    expect(texts(await c.ask(request(demo(), { text: 'someone else' })))).toEqual(['You said: someone else']);
    c.close();
  } finally {
    await server.stop();
  }
});

test('an agent token spends a budget of its own: over it, agent requests get 429 too', async () => {
  const server = await startTestServer({ settings: { demoBot: AISERA_BOT_DIR, rateLimitBurst: 3, rateLimitPerSec: 0.1 } });
  try {
    const agentId = `agent-${uniqueUser()}`;
    const token = await userToken(server.url, DEMO_CHANNEL_ID, DEMO_CHANNEL_KEY, agentId, { scope: 'agent' });
    const agent = { token, userId: agentId, channelId: DEMO_CHANNEL_ID };
    const c = await RawClient.connect(server.url);
    const codes: unknown[] = [];
    for (let i = 0; i < 5; i++) codes.push((await c.ask(request(agent, { needsSessionHistory: true }))).at(-1)!['errorCode'] ?? 'ok');
    expect(codes).toEqual(['ok', 'ok', 'ok', 'RATE_LIMITED', 'RATE_LIMITED']);
    expect(c.frames.at(-1)).toMatchObject({ modeType: 'Error', code: 429, retryable: true });
    // Users (and other agents) keep their own budgets.
    expect(texts(await c.ask(request(demo(), { text: 'a user' })))).toEqual(['You said: a user']);
    c.close();
  } finally {
    await server.stop();
  }
});

test('a graceful shutdown closes raw WebSockets with 1001 and tells Socket.IO clients the same', async () => {
  const server = await startTestServer({ settings: { demoBot: AISERA_BOT_DIR } });
  const raw = await RawClient.connect(server.url);
  const sio = await SioClient.connect(server.url);
  await raw.ask(request(demo(), { text: 'before' }));
  await sio.ask(request(demo(), { text: 'before' }));
  const disconnected = new Promise<string>((r) => sio.socket.once('disconnect', (reason) => r(reason)));
  await server.stop();
  expect(await raw.closed).toBe(1001);
  expect(await disconnected).toBe('io server disconnect');
  expect(sio.closings).toEqual([{ code: 1001, errorCode: 'SHUTTING_DOWN', message: 'The server is shutting down; reconnect to another node.' }]);
});
