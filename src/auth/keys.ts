import { webcrypto } from 'node:crypto';

export type HmacKey = webcrypto.CryptoKey;

/** An HMAC key for jose, imported once (jose would otherwise import raw bytes again for every token). */
export const hmacKey = (secret: string, alg: 'HS256' | 'HS512'): Promise<HmacKey> =>
  webcrypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: alg === 'HS256' ? 'SHA-256' : 'SHA-512' }, false, [
    'sign',
    'verify',
  ]);
