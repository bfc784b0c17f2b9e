import { randomUUID } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import type { AppRecord, JwtAlgorithm } from '../core/ports/directory.js';

export interface DevJwtRequest {
  readonly app: AppRecord;
  readonly identity: string;
  /** Seconds until expiry (default 5 min, so the `jti` rule's 1 h limit holds). */
  readonly expiresInSec?: number;
  readonly algorithm?: JwtAlgorithm;
  /** PEM private key, required for RS256/RS512. */
  readonly privateKey?: string;
  readonly isAnonymous?: boolean;
  readonly now?: number;
}

/**
 * Mint a client assertion the way a customer's backend would (for development and the demo page):
 * `iss` = client id, `sub` = user identity, a fresh `jti`, times in seconds.
 */
export async function mintDevJwt(req: DevJwtRequest): Promise<string> {
  const alg = req.algorithm ?? req.app.algorithms[0] ?? 'HS256';
  const now = Math.floor((req.now ?? Date.now()) / 1000);
  let key: Uint8Array | Awaited<ReturnType<typeof importPKCS8>>;
  if (alg.startsWith('HS')) {
    if (!req.app.clientSecret) throw new Error(`app ${req.app.clientId} has no client secret for ${alg}`);
    key = new TextEncoder().encode(req.app.clientSecret);
  } else {
    if (!req.privateKey) throw new Error(`${alg} needs the app's private key`);
    key = await importPKCS8(req.privateKey, alg);
  }
  return new SignJWT({ isAnonymous: req.isAnonymous ?? false })
    .setProtectedHeader({ alg, typ: 'JWT' })
    .setIssuer(req.app.clientId)
    .setSubject(req.identity)
    .setAudience('https://idproxy.kore.com/authorize')
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + (req.expiresInSec ?? 300))
    .sign(key);
}
