/**
 * POST rtm/start and the one-time WebSocket URL (reference §A.2 #4, §B.1, §C.2; seed "Step 3"):
 * bearer access token, `?sid=` valid once for 30 s and checked during the HTTP upgrade (401, no
 * socket), `&isReconnect=true` accepted, and the exact TOKEN_EXPIRED body that makes the SDK re-auth.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/core/memory/clock.js';
import { KoreClient, KoreSocket } from '../support/kore-client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { DEMO_BOT_INFO, chat, expectKoreError, isType, rtmStart, uniqueIdentity } from './helpers.js';

/** The upgrade is refused with this HTTP status (and no socket is ever opened). */
async function expectRefusedUpgrade(url: string, status = 401): Promise<void> {
  const err = await KoreSocket.open(url).then(
    async (s) => {
      await s.close();
      return null;
    },
    (e: { status?: number; body?: string }) => e,
  );
  expect(err, `the upgrade to ${url} was accepted`).not.toBeNull();
  expect(err!.status).toBe(status);
  expect(JSON.parse(err!.body ?? '{}').errors?.[0]?.msg).toEqual(expect.any(String));
}

describe('rtm/start', () => {
  let clock: ManualClock;
  let server: TestServer;
  beforeAll(async () => {
    clock = new ManualClock(Date.now());
    server = await startTestServer({ clock });
  });
  afterAll(() => server.stop());

  test.each(['/api/', '/api/1.1/'])('answers 200 {url} with a ws URL that already has a query, under %s', async (prefix) => {
    const client = await KoreClient.login(server.url, { identity: uniqueIdentity(), apiPrefix: prefix as '/api/' | '/api/1.1/' });
    // The SDK's verbatim body, including its "token":{} artefact.
    const res = await rtmStart(server.url, client.accessToken, { prefix });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(Object.keys(res.body)).toContain('url');
    const url = new URL(res.body.url);
    expect(url.protocol).toBe('ws:');
    expect(url.host).toBe(new URL(server.url).host);
    expect(url.pathname).toBe('/rtm/bot');
    expect(url.searchParams.get('sid')).toMatch(/^[A-Za-z0-9_-]{16,}$/);
  });

  test('each call mints a different sid', async () => {
    const client = await KoreClient.login(server.url, { identity: uniqueIdentity() });
    const a = await client.rtmStart();
    const b = await client.rtmStart();
    expect(a.body.url).not.toBe(b.body.url);
  });

  test('"Bearer" is accepted in any case', async () => {
    const client = await KoreClient.login(server.url, { identity: uniqueIdentity() });
    const res = await fetch(`${server.url}/api/rtm/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${client.accessToken}` },
      body: JSON.stringify({ botInfo: DEMO_BOT_INFO, token: {} }),
    });
    expect(res.status).toBe(200);
  });

  test('without a valid bearer token: a JSON error whose "error" stops the SDK reconnect loop', async () => {
    for (const token of [null, 'garbage', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln']) {
      const res = await rtmStart(server.url, token);
      expectKoreError(res, 401);
      expect(['not_authed', 'invalid_auth', 'account_inactive']).toContain(res.body.error);
    }
  });

  test('a token for this bot cannot start a socket for another bot', async () => {
    const client = await KoreClient.login(server.url, { identity: uniqueIdentity() });
    expectKoreError(await rtmStart(server.url, client.accessToken, { botInfo: { chatBot: 'x', taskBotId: 'st-someone-else' } }));
  });

  test('the URL works once: a second upgrade with the same sid gets 401 and no socket', async () => {
    const client = await KoreClient.login(server.url, { identity: uniqueIdentity() });
    const { body } = await client.rtmStart();
    const socket = await KoreSocket.open(body.url, client);
    await socket.next(isType('bot_active'));
    await expectRefusedUpgrade(body.url);
    await expectRefusedUpgrade(`${body.url}&isReconnect=true`);
    // The first socket is unaffected.
    await chat(socket, 'still here');
    await socket.close();
  });

  test('the URL is valid for 30 s, not longer', async () => {
    const client = await KoreClient.login(server.url, { identity: uniqueIdentity() });
    const early = await client.rtmStart();
    const late = await client.rtmStart();
    clock.advance(29_000);
    const socket = await KoreSocket.open(early.body.url, client);
    await socket.next(isType('bot_active'));
    await socket.close();
    clock.advance(2_000);
    await expectRefusedUpgrade(late.body.url);
  });

  test('unknown, empty and missing sids get 401 during the upgrade', async () => {
    const base = new URL(server.url);
    const ws = `ws://${base.host}/rtm/bot`;
    await expectRefusedUpgrade(`${ws}?sid=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`);
    await expectRefusedUpgrade(`${ws}?sid=`);
    await expectRefusedUpgrade(`${ws}?foo=bar`);
    await expectRefusedUpgrade(`${ws}?sid=${'x'.repeat(5000)}`);
  });

  test('the SDK\'s reconnect form "<url>&isReconnect=true" is accepted', async () => {
    const client = await KoreClient.login(server.url, { identity: uniqueIdentity() });
    const socket = await client.connect({ isReconnect: true });
    await socket.next(isType('bot_active'));
    await chat(socket, 'after reconnect');
    await socket.close();
  });

  test('a ticket is bound to its user: the socket talks in that user\'s conversation only', async () => {
    const alice = await KoreClient.login(server.url, { identity: uniqueIdentity('alice') });
    const bob = await KoreClient.login(server.url, { identity: uniqueIdentity('bob') });
    const socket = await KoreSocket.open((await alice.rtmStart()).body.url, alice);
    await socket.next(isType('bot_active'));
    await chat(socket, 'only for alice');
    await socket.close();
    const bobs = await bob.history('&limit=100');
    expect(bobs.body.messages.map((m: { components: { data: { text: string } }[] }) => m.components[0]!.data.text)).not.toContain('only for alice');
  });
});

describe('an expired access token', () => {
  let clock: ManualClock;
  let server: TestServer;
  beforeAll(async () => {
    clock = new ManualClock(Date.now());
    server = await startTestServer({ clock, settings: { accessTokenTtlSec: 60 } });
  });
  afterAll(() => server.stop());

  test('rtm/start answers exactly {"errors":[{"msg":"token expired","code":"TOKEN_EXPIRED"}]}, and a new jwtgrant fixes it', async () => {
    const identity = uniqueIdentity();
    const client = await KoreClient.login(server.url, { identity });
    expect((await client.rtmStart()).status).toBe(200);
    clock.advance(61_000);
    const res = await client.rtmStart();
    expect(res.body).toEqual({ errors: [{ msg: 'token expired', code: 'TOKEN_EXPIRED' }] });
    // Under the other prefix too.
    const res11 = await rtmStart(server.url, client.accessToken, { prefix: '/api/1.1/' });
    expect(res11.body).toEqual({ errors: [{ msg: 'token expired', code: 'TOKEN_EXPIRED' }] });
    // The SDK's re-auth path (§C.2): jwtgrant again, rtm/start, socket with isReconnect=true.
    const again = await KoreClient.login(server.url, { identity });
    const socket = await again.connect({ isReconnect: true });
    await socket.next(isType('bot_active'));
    await chat(socket, 'back after re-auth');
    await socket.close();
  });

  test('history with an expired token is a JSON error, not a page', async () => {
    const client = await KoreClient.login(server.url, { identity: uniqueIdentity() });
    clock.advance(61_000);
    expectKoreError(await client.history('&limit=10'), 401);
  });
});
