/**
 * POST oAuth/token/jwtgrant (reference §A.2 #2, §E; seed "Step 2"): the assertion is verified with the
 * app's key, only allow-listed algorithms, `sub` required, times in s or ms, `jti` replay refused, and
 * the answer has exactly the seed's fields.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KoreSocket } from '../support/kore-client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import {
  DEMO_BOT_ID,
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  claims,
  demoAssertion,
  expectKoreError,
  isType,
  jwtgrant,
  rtmStart,
  signJwt,
  uniqueIdentity,
  ISO,
} from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

describe('a valid assertion', () => {
  test.each(['/api/', '/api/1.1/'])('answers 200 with exactly the seed\'s fields under %s', async (prefix) => {
    const identity = uniqueIdentity();
    const res = await jwtgrant(server.url, demoAssertion(identity), { prefix });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const { authorization, userInfo } = res.body;
    expect(Object.keys(res.body).sort()).toEqual(['authorization', 'userInfo']);
    expect(Object.keys(authorization).sort()).toEqual(['accessToken', 'expiresDate', 'issuedDate', 'token_type']);
    expect(Object.keys(userInfo).sort()).toEqual(['accountId', 'enrollType', 'fName', 'identity', 'lName', 'managedBy', 'orgId', 'userId']);
    expect(authorization.token_type).toBe('bearer');
    expect(typeof authorization.accessToken).toBe('string');
    expect(authorization.accessToken.length).toBeGreaterThan(10);
    expect(authorization.issuedDate).toMatch(ISO);
    expect(authorization.expiresDate).toMatch(ISO);
    expect(Date.parse(authorization.expiresDate)).toBeGreaterThan(Date.parse(authorization.issuedDate));
    expect(Math.abs(Date.parse(authorization.issuedDate) - Date.now())).toBeLessThan(60_000);
    expect(userInfo.userId).toMatch(/^u-[0-9a-f-]{36}$/);
    // Seed: "identity of user from the channel perspective" = "<clientId>/<identity>".
    expect(userInfo.identity).toBe(`${DEMO_CLIENT_ID}/${identity}`);
    for (const k of ['accountId', 'orgId', 'enrollType', 'managedBy', 'fName', 'lName']) expect(typeof userInfo[k]).toBe('string');
  });

  test('the access token opens a socket (rtm/start → WebSocket → bot_active)', async () => {
    const res = await jwtgrant(server.url, demoAssertion(uniqueIdentity()));
    const start = await rtmStart(server.url, res.body.authorization.accessToken);
    expect(start.status).toBe(200);
    const socket = await KoreSocket.open(start.body.url);
    await socket.next(isType('bot_active'));
    await socket.close();
  });

  test('the user id is stable for an identity and differs between identities', async () => {
    const a = uniqueIdentity('a');
    const [a1, a2, b] = await Promise.all([
      jwtgrant(server.url, demoAssertion(a)),
      jwtgrant(server.url, demoAssertion(a)),
      jwtgrant(server.url, demoAssertion(uniqueIdentity('b'))),
    ]);
    expect(a1.body.userInfo.userId).toBe(a2.body.userInfo.userId);
    expect(b.body.userInfo.userId).not.toBe(a1.body.userInfo.userId);
    expect(a1.body.authorization.accessToken).not.toBe(a2.body.authorization.accessToken);
  });

  test.each(['HS256', 'HS512'])('%s (allow-listed for the demo app) is accepted', async (alg) => {
    const res = await jwtgrant(server.url, demoAssertion(uniqueIdentity(), {}, alg));
    expect(res.status).toBe(200);
  });

  test("Kore's own sample: iat and exp in milliseconds are accepted", async () => {
    const now = Date.now();
    const res = await jwtgrant(server.url, demoAssertion(uniqueIdentity(), { iat: now, exp: now + 300_000 }));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  test('kore_iss / kore_sub are accepted in place of iss / sub', async () => {
    const identity = uniqueIdentity();
    const res = await jwtgrant(server.url, demoAssertion(identity, { iss: undefined, sub: undefined, kore_iss: DEMO_CLIENT_ID, kore_sub: identity }));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.userInfo.identity).toBe(`${DEMO_CLIENT_ID}/${identity}`);
  });

  test('the seed sample body (no chatBot name match required) and extra botInfo fields are tolerated', async () => {
    const res = await jwtgrant(server.url, demoAssertion(uniqueIdentity()), {
      botInfo: { chatBot: 'Any name', taskBotId: DEMO_BOT_ID, customData: { plan: 'gold' }, metaTags: {} },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });
});

describe('a bad assertion is refused with a JSON error the SDK shows', () => {
  const header = { alg: 'HS256', typ: 'JWT' };

  test.each(['none', 'None', 'NONE'])('alg "%s" (unsigned) is never accepted', async (alg) => {
    const payload = claims(uniqueIdentity());
    expectKoreError(await jwtgrant(server.url, signJwt({ alg, typ: 'JWT' }, payload, null)), 401);
    // …not even with a valid HS256 signature attached to an alg:none header.
    const signed = signJwt(header, payload, DEMO_CLIENT_SECRET).split('.')[2];
    const forged = `${signJwt({ alg, typ: 'JWT' }, payload, null)}${signed}`;
    expectKoreError(await jwtgrant(server.url, forged), 401);
  });

  test('an algorithm the app does not allow (RS256 for an HS-only app) is refused', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expectKoreError(await jwtgrant(server.url, signJwt({ alg: 'RS256', typ: 'JWT' }, claims(uniqueIdentity()), privateKey)), 401);
  });

  test('a signature made with another secret is refused', async () => {
    expectKoreError(await jwtgrant(server.url, demoAssertion(uniqueIdentity(), {}, 'HS256', 'not-the-demo-secret-at-all-0123456789')), 401);
  });

  test('a payload changed after signing is refused', async () => {
    const [h, , s] = demoAssertion(uniqueIdentity()).split('.');
    const evil = Buffer.from(JSON.stringify(claims('admin@example.com'))).toString('base64url');
    expectKoreError(await jwtgrant(server.url, `${h}.${evil}.${s}`), 401);
  });

  test('an unknown client id (iss) is refused', async () => {
    expectKoreError(await jwtgrant(server.url, demoAssertion(uniqueIdentity(), { iss: 'cs-00000000-0000-5000-8000-000000000000' })), 401);
  });

  test('"sub" is required', async () => {
    expectKoreError(await jwtgrant(server.url, demoAssertion(uniqueIdentity(), { sub: undefined })), 401);
    expectKoreError(await jwtgrant(server.url, demoAssertion(uniqueIdentity(), { sub: '' })), 401);
  });

  test('an expired assertion is refused, with exp in seconds or in milliseconds', async () => {
    const now = Date.now();
    const sec = Math.floor(now / 1000);
    expectKoreError(await jwtgrant(server.url, demoAssertion(uniqueIdentity(), { iat: sec - 3600, exp: sec - 600 })), 401);
    expectKoreError(await jwtgrant(server.url, demoAssertion(uniqueIdentity(), { iat: now - 3_600_000, exp: now - 600_000 })), 401);
  });

  test('a "jti" is accepted once; the replay is refused as a replay', async () => {
    const assertion = demoAssertion(uniqueIdentity());
    expect((await jwtgrant(server.url, assertion)).status).toBe(200);
    const again = await jwtgrant(server.url, assertion);
    expectKoreError(again, 401);
    expect(again.body.errors[0].msg).toMatch(/replay/i);
    // The same jti on the other prefix is the same replay.
    expectKoreError(await jwtgrant(server.url, assertion, { prefix: '/api/1.1/' }), 401);
  });

  test('with a "jti", exp more than 1 hour ahead is refused (Kore\'s documented rule)', async () => {
    const sec = Math.floor(Date.now() / 1000);
    const res = await jwtgrant(server.url, demoAssertion(uniqueIdentity(), { exp: sec + 3 * 3600 }));
    expectKoreError(res, 401);
  });

  test('garbage, a missing assertion and a missing bot are JSON errors, never 200', async () => {
    expectKoreError(await jwtgrant(server.url, 'not.a.jwt'));
    expectKoreError(await jwtgrant(server.url, ''));
    const noBot = await fetch(`${server.url}/api/oAuth/token/jwtgrant`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ assertion: demoAssertion(uniqueIdentity()) }),
    });
    expectKoreError({ status: noBot.status, body: await noBot.json() });
    expectKoreError(await jwtgrant(server.url, demoAssertion(uniqueIdentity()), { botInfo: { chatBot: 'x', taskBotId: 'st-does-not-exist' } }));
  });
});

describe('an app may only talk to its own bots', () => {
  let dir: string;
  let other: TestServer;
  const BOT_A = 'st-aaaaaaaa-0000-5000-8000-000000000001';
  const BOT_B = 'st-bbbbbbbb-0000-5000-8000-000000000002';
  const APP = 'cs-cccccccc-0000-5000-8000-000000000003';
  const SECRET = 'an-hs512-only-secret-for-this-test-0123456789';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'colloquy-auth-'));
    const file = join(dir, 'colloquy.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        bots: [{ id: BOT_A, name: 'A' }, { id: BOT_B, name: 'B' }],
        apps: [{ clientId: APP, clientSecret: SECRET, algorithms: ['HS512'], bots: [BOT_A] }],
      }),
    );
    other = await startTestServer({ configFile: file });
  });
  afterAll(async () => {
    await other.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a bot the app is not bound to is refused', async () => {
    const ok = await jwtgrant(other.url, demoAssertion(uniqueIdentity(), { iss: APP }, 'HS512', SECRET), { botInfo: { chatBot: 'A', taskBotId: BOT_A } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const refused = await jwtgrant(other.url, demoAssertion(uniqueIdentity(), { iss: APP }, 'HS512', SECRET), { botInfo: { chatBot: 'B', taskBotId: BOT_B } });
    expectKoreError(refused);
  });

  test('only the allow-listed algorithm works, even with the right secret', async () => {
    const hs256 = await jwtgrant(other.url, demoAssertion(uniqueIdentity(), { iss: APP }, 'HS256', SECRET), { botInfo: { chatBot: 'A', taskBotId: BOT_A } });
    expectKoreError(hs256, 401);
  });

  test('an access token for one bot cannot start a socket for another', async () => {
    const ok = await jwtgrant(other.url, demoAssertion(uniqueIdentity(), { iss: APP }, 'HS512', SECRET), { botInfo: { chatBot: 'A', taskBotId: BOT_A } });
    const start = await rtmStart(other.url, ok.body.authorization.accessToken, { botInfo: { chatBot: 'B', taskBotId: BOT_B } });
    expectKoreError(start);
  });
});
