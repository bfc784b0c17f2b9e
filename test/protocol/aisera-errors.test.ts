/**
 * The Aisera channel's refusals over real sockets and HTTP: the reference's negative vectors, authentication
 * (channel keys, user tokens, agent tokens, three strikes), origins per channel, close codes (1003, 1008,
 * 1009), and that a refused request changes no session — while other connections chat on undisturbed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openTenancy } from '../../src/server/engines.js';
import { channelKeyHash } from '../../src/server/directory.js';
import { DEMO_BOT_ID } from '../../src/server/demo.js';
import { AISERA_BOT_DIR, DEMO_CHANNEL_ID, DEMO_CHANNEL_KEY, RawClient, SioClient, request, rest, texts, uniqueUser, userToken, type Frame } from '../support/aisera-client.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
const OTHER = { id: 'e2a7c1d0-5b4f-4c3e-9a8d-7f6e5d4c3b2a', key: 'ck_other-channel-key-for-tests-0123456789' };
const PICKY = { id: 'picky-channel', key: 'ck_picky-channel-key-for-tests-0123456789', origin: 'https://good.example' };

beforeAll(async () => {
  server = await startTestServer({ settings: { demoBot: AISERA_BOT_DIR, rateLimitBurst: 1000, rateLimitPerSec: 500, wsMaxPayloadBytes: 8192 } });
  // Channels created at run time, as `colloquy channel create` does (on the server's own database).
  const { tenancy, close } = await openTenancy(server.config);
  await tenancy.createChannel({ id: OTHER.id, botId: DEMO_BOT_ID, name: 'Other', keyHash: channelKeyHash(OTHER.key), origins: [] }, Date.now());
  await tenancy.createChannel({ id: PICKY.id, botId: DEMO_BOT_ID, name: 'Picky', keyHash: channelKeyHash(PICKY.key), origins: [PICKY.origin] }, Date.now());
  await close();
});
afterAll(async () => {
  await server.stop();
});

const demo = (userId = uniqueUser()) => ({ token: DEMO_CHANNEL_KEY, userId, channelId: DEMO_CHANNEL_ID });
const only = async (c: RawClient, req: Frame | string): Promise<Frame> => {
  const frames = await c.ask(req);
  expect(frames).toHaveLength(1);
  return frames[0]!;
};
const errorOf = (f: Frame) => ({ modeType: f['modeType'], code: f['code'], errorCode: f['errorCode'], final: f['final'], seq: f['seq'] });

describe('the reference\'s negative vectors (raw WebSocket)', () => {
  let c: RawClient;
  beforeAll(async () => {
    c = await RawClient.connect(server.url);
  });
  afterAll(() => c.close());

  test('both userId and userid, different → 400 AMBIGUOUS_USER_ID, pointing at userid', async () => {
    const f = await only(c, request(demo('alice'), { text: 'hi' }, { userid: 'mallory' }));
    expect(errorOf(f)).toEqual({ modeType: 'Error', code: 400, errorCode: 'AMBIGUOUS_USER_ID', final: true, seq: 0 });
    expect(f['errors']).toEqual([{ path: 'userid', message: 'differs from userId' }]);
    expect(f['sessionId']).toBeNull();
  });

  test('both userId and userid, equal → accepted', async () => {
    const frames = await c.ask(request(demo('bob'), { text: 'same twice' }, { userid: 'bob' }));
    expect(texts(frames)).toEqual(['You said: same twice']);
  });

  test('followUpData with isReset → 400 CONFLICTING_REQUEST', async () => {
    const f = await only(c, request(demo(), { isReset: true, followUpData: { formId: 'f-1', formFieldValues: {} } }));
    expect(errorOf(f)).toMatchObject({ code: 400, errorCode: 'CONFLICTING_REQUEST' });
  });

  test('reqId missing → 400 INVALID_REQUEST with reqId null', async () => {
    const req = request(demo(), { text: 'no id' });
    delete req['data'].reqId;
    c.send(req);
    const f = await c.next((x) => x['errorCode'] === 'INVALID_REQUEST' && x['reqId'] === null);
    expect(f['errors']).toContainEqual({ path: 'data.reqId', message: "must have required property 'reqId'" });
  });

  test('data.type SilentModeStopResponding → 400 UNKNOWN_REQUEST_TYPE (never on the wire)', async () => {
    const f = await only(c, request(demo(), { type: 'SilentModeStopResponding' }));
    expect(errorOf(f)).toMatchObject({ code: 400, errorCode: 'UNKNOWN_REQUEST_TYPE' });
  });

  test('an end user\'s token sending LiveAgentPickUp → 403 FORBIDDEN_REQUEST_TYPE', async () => {
    const userId = uniqueUser();
    const token = await userToken(server.url, DEMO_CHANNEL_ID, DEMO_CHANNEL_KEY, userId);
    const f = await only(c, request({ token, userId, channelId: DEMO_CHANNEL_ID }, { type: 'LiveAgentPickUp' }));
    expect(errorOf(f)).toMatchObject({ code: 403, errorCode: 'FORBIDDEN_REQUEST_TYPE' });
  });

  test('an agent token may send agent-side requests only (an unknown handoff: 404)', async () => {
    const agent = await userToken(server.url, DEMO_CHANNEL_ID, DEMO_CHANNEL_KEY, 'agent-7', { scope: 'agent' });
    const pick = await only(c, request({ token: agent, userId: 'agent-7', channelId: DEMO_CHANNEL_ID }, { type: 'LiveAgentPickUp', handoffId: 'h-no-such-handoff' }));
    expect(errorOf(pick)).toMatchObject({ code: 404, errorCode: 'HANDOFF_NOT_FOUND' });
    const chat = await only(c, request({ token: agent, userId: 'agent-7', channelId: DEMO_CHANNEL_ID }, { text: 'hello' }));
    expect(errorOf(chat)).toMatchObject({ code: 403, errorCode: 'FORBIDDEN_REQUEST_TYPE' });
  });

  test.each([
    ['not JSON', 'hello there', 'MALFORMED_JSON', 400],
    ['a JSON array', '[1,2]', 'MALFORMED_JSON', 400],
    ['no token', JSON.stringify({ userId: 'u', channelId: DEMO_CHANNEL_ID, data: { reqId: 'x', text: 'hi' } }), 'TOKEN_MISSING', 401],
    ['no data', JSON.stringify({ token: DEMO_CHANNEL_KEY, userId: 'u', channelId: DEMO_CHANNEL_ID }), 'INVALID_REQUEST', 400],
    ['an empty request', JSON.stringify({ token: DEMO_CHANNEL_KEY, userId: 'u', channelId: DEMO_CHANNEL_ID, data: { reqId: 'x', text: '  ' } }), 'EMPTY_REQUEST', 400],
    ['a control character in text', JSON.stringify({ token: DEMO_CHANNEL_KEY, userId: 'u', channelId: DEMO_CHANNEL_ID, data: { reqId: 'x', text: 'a\u0001b' } }), 'INVALID_REQUEST', 400],
    ['data.channelId ≠ channelId', JSON.stringify({ token: DEMO_CHANNEL_KEY, userId: 'u', channelId: DEMO_CHANNEL_ID, data: { reqId: 'x', text: 'hi', channelId: OTHER.id } }), 'CONFLICTING_REQUEST', 400],
    ['an unknown channel', JSON.stringify({ token: DEMO_CHANNEL_KEY, userId: 'u', channelId: 'no-such-channel', data: { reqId: 'x', text: 'hi' } }), 'CHANNEL_NOT_FOUND', 404],
    ['a reserved followUpId without followUpContext', JSON.stringify({ token: DEMO_CHANNEL_KEY, userId: 'u', channelId: DEMO_CHANNEL_ID, data: { reqId: 'x', followUpId: '_go:back_' } }), 'INVALID_REQUEST', 400],
    ['isKL with isReset', JSON.stringify({ token: DEMO_CHANNEL_KEY, userId: 'u', channelId: DEMO_CHANNEL_ID, data: { reqId: 'x', isReset: true, isKL: true } }), 'CONFLICTING_REQUEST', 400],
    ['a numeric string for reqId that is too long', JSON.stringify({ token: DEMO_CHANNEL_KEY, userId: 'u', channelId: DEMO_CHANNEL_ID, data: { reqId: 'x'.repeat(129), text: 'hi' } }), 'INVALID_REQUEST', 400],
  ])('%s is refused', async (_what, text, errorCode, code) => {
    const from = c.frames.length;
    c.send(text);
    const got = await c.next((x) => x['modeType'] === 'Error', 5000, from);
    expect(errorOf(got)).toMatchObject({ modeType: 'Error', code, errorCode, final: true, seq: 0 });
  });

  test('a numeric reqId is echoed as a number', async () => {
    const frames = await c.ask(request(demo(), { text: 'number please', reqId: 42 }));
    expect(frames.at(-1)!['reqId']).toBe(42);
  });
});

describe('authentication', () => {
  let c: RawClient;
  beforeAll(async () => {
    c = await RawClient.connect(server.url);
  });
  afterAll(() => c.close());

  test('POST /api/token needs the channel\'s key; the user token then speaks for that user only', async () => {
    const wrong = await rest(server.url, { channelId: DEMO_CHANNEL_ID, userId: 'carol' }, { authorization: `Bearer ${OTHER.key}` }, '/api/token');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ code: 401, errorCode: 'TOKEN_INVALID' });
    const token = await userToken(server.url, DEMO_CHANNEL_ID, DEMO_CHANNEL_KEY, 'carol', { userEmail: 'carol@example.com' });
    expect(texts(await c.ask(request({ token, userId: 'carol', channelId: DEMO_CHANNEL_ID }, { text: 'mine' }, { userEmail: 'CAROL@example.com' })))).toEqual(['You said: mine']);
    const other = await only(c, request({ token, userId: 'dave', channelId: DEMO_CHANNEL_ID }, { text: 'not mine' }));
    expect(errorOf(other)).toMatchObject({ code: 403, errorCode: 'IDENTITY_MISMATCH' });
    const email = await only(c, request({ token, userId: 'carol', channelId: DEMO_CHANNEL_ID }, { text: 'x' }, { userEmail: 'eve@example.com' }));
    expect(errorOf(email)).toMatchObject({ code: 403, errorCode: 'IDENTITY_MISMATCH' });
    const channel = await only(c, request({ token, userId: 'carol', channelId: OTHER.id }, { text: 'elsewhere' }));
    expect(errorOf(channel)).toMatchObject({ code: 403, errorCode: 'CHANNEL_MISMATCH' });
  });

  test('a channel key opens its own channel only; any user of it may be asserted', async () => {
    // (The socket above was closed: its last three requests failed authentication.)
    expect(await c.closed).toBe(1008);
    c = await RawClient.connect(server.url);
    expect(texts(await c.ask(request({ token: OTHER.key, userId: 'anyone', channelId: OTHER.id }, { text: 'server side' })))).toEqual(['You said: server side']);
    const f = await only(c, request({ token: OTHER.key, userId: 'anyone', channelId: DEMO_CHANNEL_ID }, { text: 'wrong channel' }));
    expect(errorOf(f)).toMatchObject({ code: 401, errorCode: 'TOKEN_INVALID' });
  });

  test('three bad tokens in a row close the connection with 1008; a good one in between resets the count', async () => {
    const s = await RawClient.connect(server.url);
    const bad = () => request({ token: 'ck_wrong', userId: 'x', channelId: DEMO_CHANNEL_ID }, { text: 'hi' });
    await s.ask(bad());
    await s.ask(bad());
    await s.ask(request(demo(), { text: 'good' }));
    await s.ask(bad());
    await s.ask(bad());
    expect(s.closeCode).toBeUndefined();
    s.send(bad());
    expect(await s.closed).toBe(1008);
    expect(s.frames.at(-1)).toMatchObject({ errorCode: 'TOKEN_INVALID' });
  });
});

describe('close codes and origins', () => {
  test('a binary frame closes with 1003; an oversize frame with 1009; invalid UTF-8 with 1007', async () => {
    const a = await RawClient.connect(server.url);
    a.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await a.closed).toBe(1003);
    const b = await RawClient.connect(server.url);
    b.send(JSON.stringify(request(demo(), { text: 'x'.repeat(9000) })));
    expect(await b.closed).toBe(1009);
    const d = await RawClient.connect(server.url);
    d.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect(await d.closed).toBe(1007);
  });

  test('a channel\'s origins: others refused at the upgrade (403, with channelId) or per request; servers (no Origin) are not affected', async () => {
    await expect(RawClient.connect(server.url, { origin: 'https://evil.example', query: `?channelId=${PICKY.id}` })).rejects.toThrow('HTTP 403');
    const good = await RawClient.connect(server.url, { origin: PICKY.origin, query: `?channelId=${PICKY.id}` });
    expect(texts(await good.ask(request({ token: PICKY.key, userId: 'p', channelId: PICKY.id }, { text: 'from a good page' })))).toEqual(['You said: from a good page']);
    good.close();
    const evil = await RawClient.connect(server.url, { origin: 'https://evil.example' });
    const f = await only(evil, request({ token: PICKY.key, userId: 'p', channelId: PICKY.id }, { text: 'from a bad page' }));
    expect(errorOf(f)).toMatchObject({ code: 403, errorCode: 'ORIGIN_NOT_ALLOWED' });
    // The demo channel allows any origin.
    expect(texts(await evil.ask(request(demo(), { text: 'demo is open' })))).toEqual(['You said: demo is open']);
    evil.close();
    const r = await rest(server.url, request({ token: PICKY.key, userId: 'p', channelId: PICKY.id }, { text: 'rest' }), { origin: 'https://evil.example' });
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ code: 403, errorCode: 'ORIGIN_NOT_ALLOWED' });
    const server2server = await rest(server.url, request({ token: PICKY.key, userId: 'p', channelId: PICKY.id }, { text: 'rest' }));
    expect(server2server.status).toBe(200);
  });
});

describe('REST from browsers', () => {
  test('the CORS preflight of /api/receive and /api/token is answered for any page; the channel decides on the request itself', async () => {
    for (const path of ['/api/receive', '/api/token']) {
      const res = await fetch(`${server.url}${path}`, {
        method: 'OPTIONS',
        headers: { origin: PICKY.origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(PICKY.origin);
    }
    const r = await rest(server.url, request({ token: PICKY.key, userId: 'p', channelId: PICKY.id }, { text: 'from the page' }), { origin: PICKY.origin });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe(PICKY.origin);
  });
});

describe('REST errors', () => {
  test('status = code, body {code, error, errors, errorCode}; bad JSON is MALFORMED_JSON; a bearer header stands for the token', async () => {
    const bad = await rest(server.url, '{"token":');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 400, error: 'Bad Request', errorCode: 'MALFORMED_JSON', reqId: null });
    const amb = await rest(server.url, request(demo('x'), { text: 'hi' }, { userid: 'y' }));
    expect(amb.status).toBe(400);
    expect(amb.body).toMatchObject({ errorCode: 'AMBIGUOUS_USER_ID', errors: [{ path: 'userid', message: 'differs from userId' }] });
    const req = request(demo(), { text: 'bearer' });
    delete req['token'];
    const ok = await rest(server.url, req, { authorization: `Bearer ${DEMO_CHANNEL_KEY}` });
    expect(ok.status).toBe(200);
    expect(ok.body['answers'][0]).toMatchObject({ type: 'text', text: 'You said: bearer' });
    const conflict = await rest(server.url, request(demo(), { text: 'x' }), { authorization: `Bearer ${OTHER.key}` });
    expect(conflict.body).toMatchObject({ code: 400, errorCode: 'CONFLICTING_REQUEST' });
  });
});

describe('refusals change nothing; a malformed storm on one connection does not disturb another', () => {
  test('the session log is the same before and after a volley of refused requests', async () => {
    const c = await RawClient.connect(server.url);
    const who = demo();
    await c.ask(request(who, { text: 'keep me' }));
    const before = (await c.ask(request(who, { needsSessionHistory: true })))[0]!;
    const refused = [
      request(who, { isReset: true, followUpId: 'R:x' }),
      request(who, { followUpId: 'R:00000000-0000-5000-8000-000000000000', text: 'stale' }),
      request(who, { text: 'x', followUpData: { formId: 'nope', formFieldValues: {} } }),
      request(who, { text: '', followUpData: { formId: 'nope', formFieldValues: {} } }),
      request(who, { type: 'LiveAgentTransfer' }),
    ];
    for (const r of refused) expect((await c.ask(r)).every((f) => f['modeType'] === 'Error')).toBe(true);
    const after = (await c.ask(request(who, { needsSessionHistory: true })))[0]!;
    expect(after['history']).toEqual(before['history']);
    expect(after['sessionId']).toBe(before['sessionId']);
    c.close();
  });

  test('500 malformed frames on one socket while a Socket.IO client of another user chats: every answer, in order', async () => {
    const storm = await RawClient.connect(server.url);
    const talker = await SioClient.connect(server.url);
    const who = demo();
    const junk = ['', '{', 'null', '[]', '"str"', '{"token":1}', JSON.stringify({ token: 'ck_bad', userId: 'u', channelId: DEMO_CHANNEL_ID, data: { reqId: 1, text: 'hi' } }).slice(0, -3), '\u0000', '{"data":{}}'];
    let sent = 0;
    const flood = (async () => {
      while (sent < 500) {
        storm.send(junk[sent % junk.length]!);
        sent += 1;
        if (sent % 50 === 0) await new Promise((r) => setImmediate(r));
      }
    })();
    const answers: string[] = [];
    for (let i = 0; i < 10; i++) answers.push(...texts(await talker.ask(request(who, { text: `line ${i}` }))));
    await flood;
    expect(answers).toEqual(Array.from({ length: 10 }, (_, i) => `You said: line ${i}`));
    const deadline = Date.now() + 10_000;
    while (storm.frames.length < 500 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(storm.frames.length).toBe(500);
    expect(storm.frames.every((f) => f['modeType'] === 'Error' && f['seq'] === 0)).toBe(true);
    expect(storm.closeCode).toBeUndefined();
    expect(texts(await storm.ask(request(demo(), { text: 'still here' })))).toEqual(['You said: still here']);
    storm.close();
    talker.close();
  });
});
