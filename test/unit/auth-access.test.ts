/**
 * After the assertion: access tokens (src/auth/access-token.ts), one-time connect tickets
 * (src/auth/tickets.ts) and the gate that decides who may talk right now (src/auth/gate.ts).
 */
import { SignJWT } from 'jose';
import { describe, expect, test } from 'vitest';
import { AccessTokens, bearer, type AccessClaims } from '../../src/auth/access-token.js';
import { Gate } from '../../src/auth/gate.js';
import { Tickets } from '../../src/auth/tickets.js';
import { CoreError } from '../../src/core/errors.js';
import { ManualClock } from '../../src/core/memory/clock.js';
import { MemoryEphemeralStore } from '../../src/core/memory/ephemeral.js';
import { MemoryRateLimiter } from '../../src/core/memory/rate-limiter.js';
import { TestDirectory } from './support/directory.js';

const SECRET = 'server-secret-of-at-least-32-characters!';
const claims: AccessClaims = { userId: 'u-1', botId: 'st-1', clientId: 'cs-1', deviceId: 'd-1', identity: 'alice@example.com' };

/** The CoreError code `promise` rejects with. */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof CoreError) return err.code;
    throw err;
  }
  return 'resolved';
}

describe('access tokens', () => {
  const setup = (ttlMs = 3_600_000) => {
    const clock = new ManualClock();
    return { clock, tokens: new AccessTokens(SECRET, ttlMs, clock) };
  };

  test('a token issued for a device verifies to the same claims', async () => {
    const { clock, tokens } = setup();
    const issued = await tokens.issue(claims);
    expect(issued).toMatchObject({ issuedAt: clock.now(), expiresAt: clock.now() + 3_600_000 });
    expect(await tokens.verify(issued.token)).toEqual(claims);
  });

  test('any node with the same secret verifies it', async () => {
    const { clock, tokens } = setup();
    const issued = await tokens.issue(claims);
    expect(await new AccessTokens(SECRET, 1, clock).verify(issued.token)).toEqual(claims);
  });

  test('once its lifetime has passed it is TOKEN_EXPIRED (the SDK re-authenticates)', async () => {
    const { clock, tokens } = setup(60_000);
    const { token } = await tokens.issue(claims);
    clock.advance(59_000);
    expect(await tokens.verify(token)).toEqual(claims);
    clock.advance(1_000);
    expect(await codeOf(tokens.verify(token))).toBe('TOKEN_EXPIRED');
    expect(new CoreError('TOKEN_EXPIRED').message).toBe('token expired'); // the text the SDK matches on (§C.2)
  });

  test('a missing, malformed, foreign or tampered token is UNAUTHORIZED', async () => {
    const { clock, tokens } = setup();
    const { token } = await tokens.issue(claims);
    expect(await codeOf(tokens.verify(undefined))).toBe('UNAUTHORIZED');
    expect(await codeOf(tokens.verify('abc'))).toBe('UNAUTHORIZED');
    const foreign = await new AccessTokens('another-secret-of-at-least-32-chars!!', 60_000, clock).issue(claims);
    expect(await codeOf(tokens.verify(foreign.token))).toBe('UNAUTHORIZED');
    const [h, p, s] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sub: 'u-admin' })).toString('base64url');
    expect(await codeOf(tokens.verify(`${h}.${forged}.${s}`))).toBe('UNAUTHORIZED');
  });

  test('a validly signed token without our claims is UNAUTHORIZED', async () => {
    const { clock, tokens } = setup();
    const now = Math.floor(clock.now() / 1000);
    const bare = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('colloquy').setSubject('u-1').setExpirationTime(now + 60).sign(new TextEncoder().encode(SECRET));
    expect(await codeOf(tokens.verify(bare))).toBe('UNAUTHORIZED');
  });

  test('bearer() reads the Authorization header in any case', () => {
    expect(bearer('bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearer('Bearer  abc ')).toBe('abc');
    expect(bearer('Basic abc')).toBeUndefined();
    expect(bearer('bearer')).toBeUndefined();
    expect(bearer(undefined)).toBeUndefined();
  });
});

describe('connect tickets', () => {
  const setup = () => {
    const clock = new ManualClock();
    return { clock, tickets: new Tickets(new MemoryEphemeralStore(clock), 30_000) };
  };

  test('a ticket is redeemed once for its claims', async () => {
    const { tickets } = setup();
    const sid = await tickets.mint(claims);
    expect(sid).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await tickets.redeem(sid)).toEqual(claims);
    expect(await tickets.redeem(sid)).toBeNull();
  });

  test('of many concurrent redeems, exactly one gets the claims', async () => {
    const { tickets } = setup();
    const sid = await tickets.mint(claims);
    const results = await Promise.all(Array.from({ length: 10 }, () => tickets.redeem(sid)));
    expect(results.filter((r) => r !== null)).toEqual([claims]);
  });

  test('a ticket expires after 30 s', async () => {
    const { clock, tickets } = setup();
    const sid = await tickets.mint(claims);
    clock.advance(30_000);
    expect(await tickets.redeem(sid)).toBeNull();
  });

  test('unknown, empty or oversized ids redeem nothing', async () => {
    const { tickets } = setup();
    expect(await tickets.redeem('nope')).toBeNull();
    expect(await tickets.redeem('')).toBeNull();
    expect(await tickets.redeem(null)).toBeNull();
    expect(await tickets.redeem('x'.repeat(200))).toBeNull();
  });

  test('tickets are distinct', async () => {
    const { tickets } = setup();
    expect(await tickets.mint(claims)).not.toBe(await tickets.mint(claims));
  });
});

describe('gate', () => {
  const setup = (opts: { burst?: number; perSec?: number } = {}) => {
    const clock = new ManualClock();
    const directory = new TestDirectory([
      { id: 'st-1', name: 'Bot', suspended: false },
      { id: 'st-off', name: 'Suspended', suspended: true },
    ]);
    const gate = new Gate(directory, new MemoryEphemeralStore(clock), new MemoryRateLimiter(opts.burst ?? 3, opts.perSec ?? 1, clock), clock, {
      penaltyMs: 60_000,
      cacheMs: 5_000,
    });
    return { clock, directory, gate };
  };
  const refusal = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      if (err instanceof CoreError) return { code: err.code, close: err.spec.close, data: err.data };
      throw err;
    }
    return null;
  };

  test('an active bot and an unblocked user are admitted', async () => {
    const { gate } = setup();
    await expect(gate.admit('st-1', 'u-1')).resolves.toBeUndefined();
  });

  test('an unknown bot, a suspended bot and a blocked user are refused with their codes', async () => {
    const { gate, directory } = setup();
    directory.blocked.add('st-1|u-blocked');
    expect(await refusal(gate.admit('st-nope', 'u-1'))).toMatchObject({ code: 'BOT_NOT_FOUND' });
    expect(await refusal(gate.admit('st-off', 'u-1'))).toMatchObject({ code: 'BOT_SUSPENDED', close: 1008 });
    expect(await refusal(gate.admit('st-1', 'u-blocked'))).toMatchObject({ code: 'USER_BLOCKED', close: 1008 });
  });

  test('a block takes effect once the cached verdict expires (its lifetime is spread up to 1.25 × cacheMs)', async () => {
    const { clock, gate, directory } = setup();
    await gate.admit('st-1', 'u-1');
    directory.blocked.add('st-1|u-1');
    await expect(gate.admit('st-1', 'u-1')).resolves.toBeUndefined();
    clock.advance(5_000 * 1.25 + 1);
    expect(await refusal(gate.admit('st-1', 'u-1'))).toMatchObject({ code: 'USER_BLOCKED' });
  });

  test('forget drops cached verdicts at once (the node calls it when tenancy changes)', async () => {
    const { gate, directory } = setup();
    await gate.admit('st-1', 'u-1');
    directory.blocked.add('st-1|u-1');
    gate.forget();
    expect(await refusal(gate.admit('st-1', 'u-1'))).toMatchObject({ code: 'USER_BLOCKED' });
  });

  test('spending beyond the burst is RATE_LIMITED with the time until the next message', async () => {
    const { clock, gate } = setup({ burst: 3, perSec: 1 });
    for (let i = 0; i < 3; i++) await gate.spend('st-1', 'u-1');
    expect(await refusal(gate.spend('st-1', 'u-1'))).toEqual({ code: 'RATE_LIMITED', close: 1008, data: { retryAfterMs: 1000 } });
    await gate.spend('st-1', 'u-2'); // budgets are per user
    clock.advance(1_000);
    await expect(gate.spend('st-1', 'u-1')).resolves.toBeUndefined();
  });

  test('a penalty refuses the user at once, for the penalty time, then lifts', async () => {
    const { clock, gate } = setup();
    await gate.admit('st-1', 'u-1'); // a cached "allowed" verdict must not hide the penalty
    await gate.penalize('st-1', 'u-1');
    expect(await refusal(gate.admit('st-1', 'u-1'))).toEqual({ code: 'RATE_LIMITED', close: 1008, data: { retryAfterMs: 60_000 } });
    clock.advance(45_000);
    expect(await refusal(gate.admit('st-1', 'u-1'))).toMatchObject({ data: { retryAfterMs: 15_000 } });
    await expect(gate.admit('st-1', 'u-2')).resolves.toBeUndefined();
    clock.advance(15_000);
    await expect(gate.admit('st-1', 'u-1')).resolves.toBeUndefined();
  });
});
