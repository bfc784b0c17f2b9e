/**
 * Client assertions (src/auth/assertion.ts): the JWT a customer's backend signs for one user, checked
 * the way Kore's jwtgrant does (reference/kore-web-sdk.md §E).
 */
import { generateKeyPairSync } from 'node:crypto';
import { importPKCS8, SignJWT, type JWTPayload } from 'jose';
import { beforeEach, describe, expect, test } from 'vitest';
import { AssertionVerifier, claimTimeMs } from '../../src/auth/assertion.js';
import { CoreError, type ErrorCode } from '../../src/core/errors.js';
import { ManualClock } from '../../src/core/memory/clock.js';
import { MemoryEphemeralStore } from '../../src/core/memory/ephemeral.js';
import type { AppRecord, JwtAlgorithm } from '../../src/core/ports/directory.js';
import { TestDirectory } from './support/directory.js';

const SECRET = 'a-client-secret-of-sufficient-length';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });

const hsApp: AppRecord = { clientId: 'cs-hs', name: 'HS app', clientSecret: SECRET, algorithms: ['HS256', 'HS512'], botIds: ['st-1'] };
const hs256Only: AppRecord = { clientId: 'cs-hs256', name: 'HS256 only', clientSecret: SECRET, algorithms: ['HS256'], botIds: ['st-1'] };
const rsApp: AppRecord = { clientId: 'cs-rs', name: 'RS app', publicKey: rsa.publicKey, algorithms: ['RS256', 'RS512'], botIds: ['st-1'] };

let clock: ManualClock;
let verifier: AssertionVerifier;
const nowSec = () => Math.floor(clock.now() / 1000);
const fresh = () => {
  clock = new ManualClock();
  verifier = new AssertionVerifier(new TestDirectory([], [hsApp, hs256Only, rsApp]), new MemoryEphemeralStore(clock), clock);
};

/** Sign `claims` (defaults: iss = the HS app, sub, iat/exp in seconds, 5 minutes) with `alg`. */
async function sign(claims: JWTPayload = {}, alg: JwtAlgorithm = 'HS256', key: string = SECRET): Promise<string> {
  const body: JWTPayload = { iss: hsApp.clientId, sub: 'alice@example.com', iat: nowSec(), exp: nowSec() + 300, aud: 'https://idproxy.kore.com/authorize', ...claims };
  for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
  const signingKey = alg.startsWith('HS') ? new TextEncoder().encode(key) : await importPKCS8(key, alg);
  return new SignJWT(body).setProtectedHeader({ alg, typ: 'JWT' }).sign(signingKey);
}

async function refused(assertion: unknown): Promise<ErrorCode> {
  try {
    await verifier.verify(assertion);
  } catch (err) {
    if (err instanceof CoreError) return err.code;
    throw err;
  }
  throw new Error('the assertion was accepted');
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

beforeEach(fresh);

describe('signatures and algorithms', () => {
  test.each(['HS256', 'HS512'] as const)('%s with the client secret', async (alg) => {
    expect(await verifier.verify(await sign({}, alg))).toEqual({ app: hsApp, identity: 'alice@example.com', isAnonymous: false });
  });

  test.each(['RS256', 'RS512'] as const)('%s with the registered public key', async (alg) => {
    const v = await verifier.verify(await sign({ iss: rsApp.clientId }, alg, rsa.privateKey));
    expect(v.app.clientId).toBe(rsApp.clientId);
  });

  test('alg "none" is refused', async () => {
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: hsApp.clientId, sub: 'mallory', exp: nowSec() + 60 })}.`;
    expect(await refused(unsigned)).toBe('ALGORITHM_NOT_ALLOWED');
  });

  test('an algorithm the app did not register is refused', async () => {
    expect(await refused(await sign({ iss: hs256Only.clientId }, 'HS512'))).toBe('ALGORITHM_NOT_ALLOWED');
    expect(await refused(await sign({ iss: hsApp.clientId }, 'RS256', rsa.privateKey))).toBe('ALGORITHM_NOT_ALLOWED');
  });

  test('key confusion: HS256 signed with the RS app\'s public key is refused', async () => {
    expect(await refused(await sign({ iss: rsApp.clientId }, 'HS256', rsa.publicKey))).toBe('ALGORITHM_NOT_ALLOWED');
  });

  test('an unsupported algorithm is refused', async () => {
    const es = `${b64({ alg: 'ES256' })}.${b64({ iss: hsApp.clientId, sub: 'x', exp: nowSec() + 60 })}.c2ln`;
    expect(await refused(es)).toBe('ALGORITHM_NOT_ALLOWED');
  });

  test('a wrong secret is refused', async () => {
    expect(await refused(await sign({}, 'HS256', 'not-the-client-secret-at-all-no'))).toBe('JWT_INVALID');
  });

  test('a tampered payload is refused', async () => {
    const [h, , s] = (await sign()).split('.');
    expect(await refused(`${h}.${b64({ iss: hsApp.clientId, sub: 'admin', exp: nowSec() + 60 })}.${s}`)).toBe('JWT_INVALID');
  });

  test('not a JWT, or no assertion at all', async () => {
    expect(await refused('not.a.jwt')).toBe('JWT_INVALID');
    expect(await refused('garbage')).toBe('JWT_INVALID');
    expect(await refused('')).toBe('BAD_REQUEST');
    expect(await refused(undefined)).toBe('BAD_REQUEST');
    expect(await refused(42)).toBe('BAD_REQUEST');
  });
});

describe('claims', () => {
  test('an unknown iss is an unknown client', async () => {
    expect(await refused(await sign({ iss: 'cs-nobody' }))).toBe('UNKNOWN_CLIENT');
  });

  test('no iss at all is invalid', async () => {
    expect(await refused(await sign({ iss: undefined }))).toBe('JWT_INVALID');
  });

  test('kore_iss and kore_sub stand for iss and sub', async () => {
    const v = await verifier.verify(await sign({ iss: undefined, sub: undefined, kore_iss: hsApp.clientId, kore_sub: 'bob@example.com' }));
    expect(v).toMatchObject({ app: { clientId: hsApp.clientId }, identity: 'bob@example.com' });
  });

  test('sub is required', async () => {
    expect(await refused(await sign({ sub: undefined }))).toBe('JWT_INVALID');
    expect(await refused(await sign({ sub: '' }))).toBe('JWT_INVALID');
  });

  test('isAnonymous is read as a boolean or the string "true"', async () => {
    expect((await verifier.verify(await sign({ isAnonymous: true }))).isAnonymous).toBe(true);
    expect((await verifier.verify(await sign({ isAnonymous: 'true' }))).isAnonymous).toBe(true);
    expect((await verifier.verify(await sign({ isAnonymous: 'false' }))).isAnonymous).toBe(false);
  });
});

describe('times', () => {
  test('exp and iat in milliseconds, as Kore\'s own sample service writes them, are accepted', async () => {
    const v = await verifier.verify(await sign({ iat: clock.now(), exp: clock.now() + 300_000 }));
    expect(v.identity).toBe('alice@example.com');
  });

  test('an expired assertion is refused, in seconds and in milliseconds', async () => {
    expect(await refused(await sign({ iat: nowSec() - 600, exp: nowSec() - 120 }))).toBe('JWT_EXPIRED');
    expect(await refused(await sign({ iat: clock.now() - 600_000, exp: clock.now() - 120_000 }))).toBe('JWT_EXPIRED');
  });

  test('it expires as the clock passes exp (plus a small skew)', async () => {
    const jwt = await sign({ exp: nowSec() + 60 });
    clock.advance(60_000 + 59_000);
    expect((await verifier.verify(jwt)).identity).toBe('alice@example.com');
    clock.advance(2_000);
    expect(await refused(jwt)).toBe('JWT_EXPIRED');
  });

  test('exp is required', async () => {
    expect(await refused(await sign({ exp: undefined }))).toBe('JWT_INVALID');
  });

  test('nbf or iat well in the future is refused', async () => {
    expect(await refused(await sign({ nbf: nowSec() + 600 }))).toBe('JWT_EXPIRED');
    expect(await refused(await sign({ iat: nowSec() + 600 }))).toBe('JWT_EXPIRED');
  });

  test('claimTimeMs reads seconds and milliseconds', () => {
    expect(claimTimeMs(1_700_000_000)).toBe(1_700_000_000_000);
    expect(claimTimeMs(1_700_000_000_123)).toBe(1_700_000_000_123);
    expect(claimTimeMs('1700000000')).toBeUndefined();
    expect(claimTimeMs(Number.NaN)).toBeUndefined();
  });
});

describe('jti', () => {
  test('an assertion with a jti is accepted once; a replay is refused', async () => {
    const jwt = await sign({ jti: 'once-only' });
    await verifier.verify(jwt);
    expect(await refused(jwt)).toBe('JWT_REPLAY');
  });

  test('kore_jti counts as a jti', async () => {
    const jwt = await sign({ kore_jti: 'k-1' });
    await verifier.verify(jwt);
    expect(await refused(jwt)).toBe('JWT_REPLAY');
  });

  test('the same jti from another app is not a replay', async () => {
    await verifier.verify(await sign({ jti: 'shared' }));
    await expect(verifier.verify(await sign({ iss: hs256Only.clientId, jti: 'shared' }))).resolves.toBeDefined();
  });

  test('concurrent uses of one jti: exactly one wins', async () => {
    const jwt = await sign({ jti: 'race' });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => verifier.verify(jwt)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  test('with a jti, exp more than 1 hour ahead is refused (without one it is fine)', async () => {
    expect(await refused(await sign({ jti: 'long', exp: nowSec() + 2 * 3600 }))).toBe('JWT_JTI_LIFETIME');
    expect(await refused(await sign({ jti: 'long-ms', exp: clock.now() + 2 * 3_600_000 }))).toBe('JWT_JTI_LIFETIME');
    await expect(verifier.verify(await sign({ exp: nowSec() + 2 * 3600 }))).resolves.toBeDefined();
    await expect(verifier.verify(await sign({ jti: 'hour', exp: nowSec() + 3600 }))).resolves.toBeDefined();
  });

  test('a refused assertion does not burn its jti', async () => {
    await refused(await sign({ jti: 'j-1', sub: undefined }));
    await expect(verifier.verify(await sign({ jti: 'j-1' }))).resolves.toBeDefined();
  });
});
