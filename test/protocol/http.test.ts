/**
 * The rest of the HTTP surface: botmessages/rtm (seed "Get Conversation History", reference §A.2 #6),
 * websdkthemes/{botId}/activetheme (§A.2 #3), both prefixes, JSON on every error, and CORS
 * (§A.1, §F.1) with `*` in the demo configuration and an allow-list from the config.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KoreClient, KoreSocket, getJson, type Frame } from '../support/kore-client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { ISO, DEMO_BOT_ID, chat, expectKoreError, fullHistory, history, historyText, isType, uniqueIdentity } from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

/** A user who said `n` things (each answered), on a socket without a welcome (isReconnect). */
async function userWith(n: number, tag: string): Promise<{ client: KoreClient; replies: Frame[] }> {
  const client = await KoreClient.login(server.url, { identity: uniqueIdentity(tag) });
  const socket = await client.connect({ isReconnect: true });
  await socket.next(isType('bot_active'));
  const replies: Frame[] = [];
  for (let i = 1; i <= n; i++) replies.push((await chat(socket, `${tag} ${i}`)).reply);
  await socket.close();
  return { client, replies };
}

describe('botmessages/rtm', () => {
  test("answers the seed's shape, oldest → newest, with the live messageIds as _id", async () => {
    const { client, replies } = await userWith(3, 'shape');
    const res = await history(server.url, client.accessToken, `botId=${DEMO_BOT_ID}&limit=10`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.body).toMatchObject({ total: 6, moreAvailable: false });
    const messages = res.body.messages as Frame[];
    expect(messages.map((m) => [m['type'], historyText(m)])).toEqual([
      ['incoming', 'shape 1'], ['outgoing', 'You said: shape 1'],
      ['incoming', 'shape 2'], ['outgoing', 'You said: shape 2'],
      ['incoming', 'shape 3'], ['outgoing', 'You said: shape 3'],
    ]);
    for (const m of messages) {
      expect(m).toMatchObject({
        _id: expect.stringMatching(/^[A-Za-z0-9_-]+$/),
        channels: [{ type: 'rtm' }],
        botId: DEMO_BOT_ID,
        createdOn: expect.stringMatching(ISO),
        timestampValue: expect.any(Number),
        components: [{ cT: 'text', data: { text: expect.any(String) } }],
        tags: { messageTags: [], userTags: [], sessionTags: [] },
      });
      expect(Date.parse(m['createdOn'])).toBe(m['timestampValue']);
    }
    const created = messages.map((m) => Date.parse(m['createdOn']));
    expect([...created].sort((a, b) => a - b)).toEqual(created);
    // The SDK de-duplicates history against live bubbles by messageId.
    expect(messages.filter((m) => m['type'] === 'outgoing').map((m) => m['_id'])).toEqual(replies.map((r) => r['messageId']));
    expect(new Set(messages.map((m) => m['_id'])).size).toBe(messages.length);
    // Top-level icon = the bot's avatar, as on bot_response.
    expect(res.body.icon).toBe(replies[0]!['icon']);
  });

  test('pages count from the newest: offset/skip, limit, moreAvailable and total', async () => {
    const { client } = await userWith(7, 'page');
    const all = (await client.history('&limit=100')).body.messages as Frame[];
    expect(all).toHaveLength(14);
    const first = await client.history('&limit=4');
    expect(first.body).toMatchObject({ total: 14, moreAvailable: true });
    expect(first.body.messages.map((m: Frame) => m['_id'])).toEqual(all.slice(10).map((m) => m['_id']));
    const middle = await client.history('&offset=4&limit=4');
    expect(middle.body.messages.map((m: Frame) => m['_id'])).toEqual(all.slice(6, 10).map((m) => m['_id']));
    expect(middle.body.moreAvailable).toBe(true);
    // `skip` is the seed's other name for offset.
    const skipped = await client.history('&skip=4&limit=4');
    expect(skipped.body.messages.map((m: Frame) => m['_id'])).toEqual(middle.body.messages.map((m: Frame) => m['_id']));
    const last = await client.history('&offset=12&limit=4');
    expect(last.body).toMatchObject({ total: 14, moreAvailable: false });
    expect(last.body.messages.map((m: Frame) => m['_id'])).toEqual(all.slice(0, 2).map((m) => m['_id']));
    const beyond = await client.history('&offset=40&limit=4');
    expect(beyond.status).toBe(200);
    expect(beyond.body).toMatchObject({ total: 14, moreAvailable: false, messages: [] });
    // Walking every page of 3 rebuilds the conversation exactly (no gaps, no overlaps).
    expect((await fullHistory(client, 3)).map((m) => m['_id'])).toEqual(all.map((m) => m['_id']));
  });

  test('a user only ever sees their own conversation', async () => {
    const { client: alice } = await userWith(2, 'alice');
    const bob = await KoreClient.login(server.url, { identity: uniqueIdentity('bob') });
    const res = await bob.history('&limit=100');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: 0, moreAvailable: false, messages: [] });
    // Query parameters naming alice change nothing.
    const sneaky = await bob.history(`&limit=100&userId=${alice.userId}&user=${alice.userId}`);
    expect(sneaky.body.messages).toEqual([]);
    // Alice's second device (same identity, new token) sees alice's conversation.
    const again = await KoreClient.login(server.url, { identity: alice.grant['userInfo'].identity.split('/').slice(1).join('/') });
    expect((await again.history('&limit=100')).body.total).toBe(4);
  });

  test('both prefixes give the same page', async () => {
    const { client } = await userWith(1, 'prefix');
    const a = await history(server.url, client.accessToken, `botId=${DEMO_BOT_ID}&limit=10`, '/api/');
    const b = await history(server.url, client.accessToken, `botId=${DEMO_BOT_ID}&limit=10`, '/api/1.1/');
    expect(b.status).toBe(200);
    expect(b.body).toEqual(a.body);
  });

  test('errors are JSON (a non-JSON error freezes the SDK for 20 s)', async () => {
    const client = await KoreClient.login(server.url, { identity: uniqueIdentity() });
    expectKoreError(await history(server.url, client.accessToken, 'limit=10'));
    expectKoreError(await history(server.url, client.accessToken, 'botId=st-other-bot&limit=10'));
    expectKoreError(await history(server.url, client.accessToken, `botId=${DEMO_BOT_ID}&limit=-3`));
    expectKoreError(await getJson(`${server.url}/api/botmessages/rtm?botId=${DEMO_BOT_ID}&limit=10`), 401);
    expectKoreError(await getJson(`${server.url}/api/botmessages/rtm?botId=${DEMO_BOT_ID}`, { authorization: 'bearer nope' }), 401);
    expectKoreError(await getJson(`${server.url}/api/no/such/route`), 404);
    // An oversized body is refused with the same JSON error shape.
    const huge = await fetch(`${server.url}/api/oAuth/token/jwtgrant`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ assertion: 'x'.repeat(200_000), botInfo: { chatBot: 'x', taskBotId: DEMO_BOT_ID } }),
    });
    expectKoreError({ status: huge.status, body: await huge.json() });
  });
});

describe('websdkthemes/{botId}/activetheme', () => {
  test.each(['/api/', '/api/1.1/'])('answers JSON with activeTheme for the demo bot under %s', async (prefix) => {
    const client = await KoreClient.login(server.url, { identity: uniqueIdentity() });
    const res = await getJson(`${server.url}${prefix}websdkthemes/${DEMO_BOT_ID}/activetheme`, { authorization: `bearer ${client.accessToken}` });
    expect(res.status).toBe(200);
    expect(res.body).toHaveProperty('activeTheme');
  });

  test('a configured theme is served with the sections the SDK turns into CSS variables', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'colloquy-theme-'));
    const BOT = 'st-7e7e7e7e-0000-5000-8000-00000000aaaa';
    const APP = 'cs-7e7e7e7e-0000-5000-8000-00000000bbbb';
    const theme = {
      generalAttributes: { colors: { primary: '#2f6fdf' } },
      botMessage: { bubbleColor: '#eeeeee' },
      widgetHeader: { title: 'Helpdesk' },
      digitalViews: { panelTheme: 'theme_one' },
    };
    writeFileSync(join(dir, 'c.yaml'), JSON.stringify({
      bots: [{ id: BOT, name: 'Themed', theme }],
      apps: [{ clientId: APP, clientSecret: 'theme-test-secret-0123456789abcdef', bots: [BOT] }],
    }));
    const themed = await startTestServer({ configFile: join(dir, 'c.yaml') });
    try {
      const client = await KoreClient.login(themed.url, { identity: uniqueIdentity(), clientId: APP, clientSecret: 'theme-test-secret-0123456789abcdef', botId: BOT, botName: 'Themed' });
      const res = await getJson(`${themed.url}/api/websdkthemes/${BOT}/activetheme`, { authorization: `bearer ${client.accessToken}` });
      expect(res.status).toBe(200);
      expect(res.body.activeTheme).toBeTruthy();
      expect(res.body).toMatchObject(theme);
    } finally {
      await themed.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an unknown bot is a JSON error', async () => {
    const client = await KoreClient.login(server.url, { identity: uniqueIdentity() });
    expectKoreError(await getJson(`${server.url}/api/websdkthemes/st-nope/activetheme`, { authorization: `bearer ${client.accessToken}` }));
  });
});

/** The pre-flights the real SDK makes (Access-Control-Request-Headers observed in the reference, §A.1). */
const PREFLIGHTS = [
  { path: 'oAuth/token/jwtgrant', method: 'POST', headers: 'content-type' },
  { path: 'rtm/start', method: 'POST', headers: 'authorization,content-type' },
  { path: `botmessages/rtm?botId=${DEMO_BOT_ID}&limit=10`, method: 'GET', headers: 'authorization,content-type' },
  { path: `websdkthemes/${DEMO_BOT_ID}/activetheme`, method: 'GET', headers: 'authorization' },
] as const;

const preflight = (base: string, path: string, origin: string, method: string, headers: string) =>
  fetch(`${base}${path}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
  });

const allows = (res: Response, origin: string) => {
  const acao = res.headers.get('access-control-allow-origin');
  return acao === '*' || acao === origin;
};

describe('CORS', () => {
  test.each(PREFLIGHTS.flatMap((p) => ['/api/', '/api/1.1/'].map((prefix) => ({ ...p, prefix }))))(
    'demo config (*): pre-flight of $method $prefix$path is allowed',
    async ({ path, method, headers, prefix }) => {
      const origin = 'https://customer.example';
      const res = await preflight(server.url, prefix + path, origin, method, headers);
      expect(res.status).toBeGreaterThanOrEqual(200);
      expect(res.status).toBeLessThan(300);
      expect(allows(res, origin)).toBe(true);
      expect((res.headers.get('access-control-allow-methods') ?? '').toUpperCase()).toContain(method);
      const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase();
      for (const h of headers.split(',')) expect(allowed).toContain(h);
    },
  );

  test('demo config (*): real responses carry Access-Control-Allow-Origin', async () => {
    const origin = 'https://any.example';
    const client = await KoreClient.login(server.url, { identity: uniqueIdentity() });
    const res = await fetch(`${server.url}/api/botmessages/rtm?botId=${DEMO_BOT_ID}&limit=10`, { headers: { origin, authorization: `bearer ${client.accessToken}` } });
    expect(res.status).toBe(200);
    expect(allows(res, origin)).toBe(true);
  });

  describe('with an allow-list from the config', () => {
    let strict: TestServer;
    const GOOD = 'https://shop.example';
    const EVIL = 'https://evil.example';
    beforeAll(async () => {
      strict = await startTestServer({ settings: { corsOrigins: [GOOD] } });
    });
    afterAll(() => strict.stop());

    test('a listed origin passes pre-flight and gets the header on real responses', async () => {
      for (const p of PREFLIGHTS) expect(allows(await preflight(strict.url, `/api/${p.path}`, GOOD, p.method, p.headers), GOOD)).toBe(true);
      const client = await KoreClient.login(strict.url, { identity: uniqueIdentity() });
      const res = await fetch(`${strict.url}/api/rtm/start`, {
        method: 'POST',
        headers: { origin: GOOD, 'content-type': 'application/json', authorization: `bearer ${client.accessToken}` },
        body: '{}',
      });
      expect(res.status).toBe(200);
      expect(allows(res, GOOD)).toBe(true);
    });

    test('another origin is not allowed, neither by pre-flight nor on the real request', async () => {
      for (const p of PREFLIGHTS) {
        const res = await preflight(strict.url, `/api/${p.path}`, EVIL, p.method, p.headers);
        expect(allows(res, EVIL), `${p.path} allowed ${EVIL}`).toBe(false);
      }
      const client = await KoreClient.login(strict.url, { identity: uniqueIdentity() });
      const res = await fetch(`${strict.url}/api/botmessages/rtm?botId=${DEMO_BOT_ID}&limit=10`, { headers: { origin: EVIL, authorization: `bearer ${client.accessToken}` } });
      expect(allows(res, EVIL)).toBe(false);
      expect(res.status).not.toBe(200);
    });

    test('the WebSocket upgrade checks the page origin too', async () => {
      const client = await KoreClient.login(strict.url, { identity: uniqueIdentity() });
      const good = await KoreSocket.open((await client.rtmStart()).body.url, client, { origin: GOOD });
      await good.next(isType('bot_active'));
      await good.close();
      const refused = await KoreSocket.open((await client.rtmStart()).body.url, client, { origin: EVIL }).then(
        (s) => s.close().then(() => null),
        (e: { status?: number }) => e,
      );
      expect(refused?.status).toBe(403);
    });
  });
});
