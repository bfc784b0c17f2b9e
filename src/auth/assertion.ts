import { compactVerify, decodeJwt, decodeProtectedHeader, importSPKI, type JWTPayload } from 'jose';
import { CoreError } from '../core/errors.js';
import type { Clock } from '../core/ports/clock.js';
import type { AppRecord, Directory, JwtAlgorithm } from '../core/ports/directory.js';
import type { EphemeralStore } from '../core/ports/ephemeral.js';
import { hmacKey } from './keys.js';

const SUPPORTED: ReadonlySet<string> = new Set<JwtAlgorithm>(['HS256', 'HS512', 'RS256', 'RS512']);
const SKEW_MS = 60_000;
const JTI_MAX_LIFETIME_MS = 60 * 60_000;

export interface VerifiedAssertion {
  readonly app: AppRecord;
  /** The user identity the customer's backend asserted (`sub` or `kore_sub`). */
  readonly identity: string;
  readonly isAnonymous: boolean;
}

/** Kore's own samples put `iat`/`exp` in milliseconds; real JWTs use seconds. Accept both. */
export const claimTimeMs = (value: unknown): number | undefined => {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  return value > 1e12 ? value : value * 1000;
};

const stringClaim = (payload: JWTPayload, ...names: string[]): string | undefined => {
  for (const n of names) {
    const v = payload[n];
    if (typeof v === 'string' && v.length > 0) return v;
  }
  return undefined;
};

/**
 * Verifies a client assertion (the JWT the customer's backend signed for one user) the way Kore's
 * jwtgrant does: key chosen by `iss` (the app's client id), allow-listed algorithms only, `sub` required,
 * times in seconds or milliseconds, and a `jti` used at most once.
 */
export class AssertionVerifier {
  constructor(
    private readonly directory: Directory,
    private readonly replay: EphemeralStore,
    private readonly clock: Clock,
  ) {}

  async verify(assertion: unknown): Promise<VerifiedAssertion> {
    if (typeof assertion !== 'string' || assertion.length === 0) throw new CoreError('BAD_REQUEST', '"assertion" (a JWT) is required.');
    let alg: string | undefined;
    let payload: JWTPayload;
    try {
      alg = decodeProtectedHeader(assertion).alg;
      payload = decodeJwt(assertion);
    } catch {
      throw new CoreError('JWT_INVALID');
    }
    if (!alg || !SUPPORTED.has(alg)) throw new CoreError('ALGORITHM_NOT_ALLOWED');
    const clientId = stringClaim(payload, 'iss', 'kore_iss');
    if (!clientId) throw new CoreError('JWT_INVALID', 'error verifying the jwt: the "iss" claim (your client id) is required.');
    const app = await this.directory.app(clientId);
    if (!app) throw new CoreError('UNKNOWN_CLIENT');
    if (!app.algorithms.includes(alg as JwtAlgorithm)) throw new CoreError('ALGORITHM_NOT_ALLOWED');

    try {
      await compactVerify(assertion, await keyFor(app, alg as JwtAlgorithm), { algorithms: [alg] });
    } catch {
      throw new CoreError('JWT_INVALID');
    }

    const identity = stringClaim(payload, 'sub', 'kore_sub');
    if (!identity) throw new CoreError('JWT_INVALID', 'error verifying the jwt: the "sub" claim (the user identity) is required.');

    const now = this.clock.now();
    const exp = claimTimeMs(payload.exp);
    if (exp === undefined) throw new CoreError('JWT_INVALID', 'error verifying the jwt: the "exp" claim is required.');
    if (exp + SKEW_MS <= now) throw new CoreError('JWT_EXPIRED');
    const nbf = claimTimeMs(payload.nbf);
    if (nbf !== undefined && nbf - SKEW_MS > now) throw new CoreError('JWT_EXPIRED');
    const iat = claimTimeMs(payload.iat);
    if (iat !== undefined && iat - SKEW_MS > now) throw new CoreError('JWT_EXPIRED', 'error verifying the jwt: "iat" is in the future.');

    const jti = stringClaim(payload, 'jti', 'kore_jti');
    if (jti) {
      if (exp - now > JTI_MAX_LIFETIME_MS + SKEW_MS) throw new CoreError('JWT_JTI_LIFETIME');
      const fresh = await this.replay.putIfAbsent(`jti:${clientId}:${jti}`, '1', exp - now + 2 * SKEW_MS);
      if (!fresh) throw new CoreError('JWT_REPLAY');
    }
    const anon = payload['isAnonymous'];
    return { app, identity, isAnonymous: anon === true || anon === 'true' };
  }
}

type VerifyKey = Awaited<ReturnType<typeof importSPKI>>;

/** Keys by app and algorithm, imported once (apps never change their key; a new key is a new app). */
const keys = new Map<string, Promise<VerifyKey>>();

function keyFor(app: AppRecord, alg: JwtAlgorithm): Promise<VerifyKey> {
  const id = `${app.clientId}|${alg}`;
  let key = keys.get(id);
  if (!key) {
    key = importKeyFor(app, alg);
    key.catch(() => keys.delete(id));
    if (keys.size > 10_000) keys.clear();
    keys.set(id, key);
  }
  return key;
}

async function importKeyFor(app: AppRecord, alg: JwtAlgorithm): Promise<VerifyKey> {
  if (alg.startsWith('HS')) {
    if (!app.clientSecret) throw new CoreError('ALGORITHM_NOT_ALLOWED');
    return (await hmacKey(app.clientSecret, alg as 'HS256' | 'HS512')) as VerifyKey;
  }
  if (!app.publicKey) throw new CoreError('ALGORITHM_NOT_ALLOWED');
  try {
    return await importSPKI(app.publicKey, alg);
  } catch {
    throw new CoreError('ALGORITHM_NOT_ALLOWED', 'error verifying the jwt: the registered public key cannot be used.');
  }
}
