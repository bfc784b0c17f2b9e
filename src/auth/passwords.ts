import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Agent passwords, stored as a slow salted hash: `scrypt$<N>$<r>$<p>$<salt b64url>$<key b64url>`. The
 * parameters travel in the string, so they can be raised later without breaking stored hashes.
 */

const PARAMS = { N: 16384, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** Upper bounds on what a stored hash may ask for (a tampered row must not exhaust memory). */
const MAX_N = 1 << 20;
const MAX_RP = 64;

const derive = (password: string, salt: Buffer, length: number, o: ScryptOptions): Promise<Buffer> =>
  new Promise((ok, fail) =>
    scrypt(password.normalize('NFC'), salt, length, { ...o, maxmem: 256 * (o.N ?? 1) * (o.r ?? 1) + 1024 * 1024 }, (err, key) => (err ? fail(err) : ok(key))),
  );

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

interface Parsed {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly key: Buffer;
}

function parse(stored: string): Parsed | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const ok = (n: number, max: number) => Number.isInteger(n) && n >= 1 && n <= max;
  if (!ok(N, MAX_N) || (N & (N - 1)) !== 0 || !ok(r, MAX_RP) || !ok(p, MAX_RP)) return undefined;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const key = Buffer.from(parts[5]!, 'base64url');
  if (salt.length < 8 || key.length < 16) return undefined;
  return { N, r, p, salt, key };
}

/** A hash of nothing anyone knows, checked against when the account does not exist (the same work, the same answer). */
let decoy: Promise<string> | undefined;

/**
 * Does `password` match `stored`? Constant-time comparison; an unusable or absent hash takes the same time
 * as a real check (against a decoy) and answers false, so a caller cannot tell an unknown account from a
 * wrong password by timing.
 */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const parsed = stored === undefined ? undefined : parse(stored);
  if (!parsed) {
    const d = parse(await (decoy ??= hashPassword(randomBytes(16).toString('hex'))))!;
    await derive(password, d.salt, d.key.length, d);
    return false;
  }
  const key = await derive(password, parsed.salt, parsed.key.length, parsed);
  return timingSafeEqual(key, parsed.key);
}

/** A readable random password (demo agents): 16 characters, about 95 bits. */
export const randomPassword = (): string => randomBytes(12).toString('base64url');
