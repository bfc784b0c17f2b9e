/**
 * Helpers for the black-box Kore protocol suite: assertions signed by hand (any header, any claims),
 * the Web SDK's frames copied from the reference, waits on frames, and full-history paging.
 */
import { createHmac, randomUUID, sign as rsaSign, type KeyObject } from 'node:crypto';
import { expect } from 'vitest';
import { DEMO_BOT_ID, DEMO_BOT_NAME, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from '../../src/server/demo.js';
import { getJson, postJson, type Frame, type KoreClient, type KoreSocket } from '../support/kore-client.js';

export const DEMO_BOT_INFO = { chatBot: DEMO_BOT_NAME, taskBotId: DEMO_BOT_ID } as const;
export { DEMO_BOT_ID, DEMO_BOT_NAME, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET };

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const uniqueIdentity = (tag = 'user') => `${tag}-${randomUUID().slice(0, 8)}@example.com`;

// ---------------------------------------------------------------------------------------------
// JWT assertions, built by hand so a test controls every byte (alg none, ms timestamps, no sub, …).

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

export type Alg = 'HS256' | 'HS512' | 'RS256' | 'RS512' | 'none' | (string & {});

/** Sign `payload` with `header.alg`: HMAC with a string key, RSA with a KeyObject, nothing for none. */
export function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: string | KeyObject | null): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const alg = String(header['alg']);
  if (alg.startsWith('HS')) {
    return `${input}.${createHmac(alg === 'HS512' ? 'sha512' : 'sha256', key as string).update(input).digest('base64url')}`;
  }
  if (alg.startsWith('RS')) {
    return `${input}.${rsaSign(alg === 'RS512' ? 'sha512' : 'sha256', Buffer.from(input), key as KeyObject).toString('base64url')}`;
  }
  return `${input}.`;
}

/** The claims Kore documents (sdk-security.md), times in seconds, with a fresh `jti`. */
export function claims(identity: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: DEMO_CLIENT_ID,
    sub: identity,
    aud: 'https://idproxy.kore.com/authorize',
    isAnonymous: false,
    iat: now,
    exp: now + 300,
    jti: randomUUID(),
    ...over,
  };
}

/** An HS256 assertion for the demo app; `over` replaces or (with `undefined`) removes claims. */
export function demoAssertion(identity: string, over: Record<string, unknown> = {}, alg: Alg = 'HS256', secret = DEMO_CLIENT_SECRET): string {
  const payload = Object.fromEntries(Object.entries(claims(identity, over)).filter(([, v]) => v !== undefined));
  return signJwt({ alg, typ: 'JWT' }, payload, secret);
}

/** POST jwtgrant exactly as the SDK does (seed body: assertion + botInfo). */
export function jwtgrant(baseUrl: string, assertion: string, opts: { prefix?: string; botInfo?: Record<string, unknown> } = {}) {
  return postJson(`${baseUrl}${opts.prefix ?? '/api/'}oAuth/token/jwtgrant`, { assertion, botInfo: opts.botInfo ?? DEMO_BOT_INFO });
}

/** POST rtm/start as the SDK does, with any bearer token. */
export function rtmStart(baseUrl: string, accessToken: string | null, opts: { prefix?: string; botInfo?: Record<string, unknown> } = {}) {
  return postJson(
    `${baseUrl}${opts.prefix ?? '/api/'}rtm/start`,
    { botInfo: opts.botInfo ?? DEMO_BOT_INFO, token: {} },
    accessToken === null ? {} : { authorization: `bearer ${accessToken}` },
  );
}

export function history(baseUrl: string, accessToken: string, query: string, prefix = '/api/') {
  return getJson(`${baseUrl}${prefix}botmessages/rtm?${query}`, { authorization: `bearer ${accessToken}`, 'content-type': 'application/json' });
}

/** A non-200 answer with the Kore error body the SDK reads (`errors[0].msg`). */
export function expectKoreError(res: { status: number; body: any }, status?: number): void {
  expect(res.status).not.toBe(200);
  if (status !== undefined) expect(res.status).toBe(status);
  expect(Array.isArray(res.body?.errors), JSON.stringify(res.body)).toBe(true);
  expect(typeof res.body.errors[0].msg).toBe('string');
  expect(res.body.errors[0].msg.length).toBeGreaterThan(0);
  expect(res.body.errors[0].code).toBeDefined();
}

// ---------------------------------------------------------------------------------------------
// Client frames, verbatim from the reference (§B.2, §B.3) and the seed, with our bot's botInfo.

const META = { timezone: 'Etc/UTC', locale: 'en-US' } as const;
let lastId = 0;
/** Like the SDK's `Date.now()` client message ids, but never equal twice in one process. */
export const nextClientId = (): number => (lastId = Math.max(Date.now(), lastId + 1));

export const frames = {
  /** §B.3 #1: a typed user message. */
  text: (body: string, id: number | string = nextClientId(), botInfo: object = DEMO_BOT_INFO): Frame => ({
    clientMessageId: id, resourceid: '/bot.message', message: { body }, botInfo, client: 'sdk', meta: META, id,
  }),
  /** The seed's `/bot.message` sample (with `attachments: []`, no client/meta). */
  seed: (body: string, id: number = nextClientId(), botInfo: object = DEMO_BOT_INFO): Frame => ({
    clientMessageId: id, message: { body, attachments: [] }, resourceid: '/bot.message', botInfo, id,
  }),
  /** §B.3 #2: a button / quick-reply postback. */
  postback: (payload: string, title: string, id: number = nextClientId(), botInfo: object = DEMO_BOT_INFO): Frame => ({
    clientMessageId: id, resourceid: '/bot.message', message: { body: payload, renderMsg: title }, botInfo, client: 'sdk', meta: META, id,
  }),
  /** §B.2: the SDK's keep-alive (note `resourceid:"/bot.message"` and no message). */
  ping: (id: number, botInfo: object = DEMO_BOT_INFO): Frame => ({
    type: 'ping', resourceid: '/bot.message', botInfo, client: 'sdk', meta: META, id,
  }),
  /** §B.3 #3: the optional delivery receipt for a bot message. */
  deliveryAck: (timestamp: number, key: string, botInfo: object = DEMO_BOT_INFO): Frame => ({
    clientMessageId: timestamp, type: 'ack', replyto: timestamp, status: 'delivered', key, resourceid: '/bot.message', botInfo, client: 'sdk', meta: META, id: timestamp,
  }),
  /** §B.3 #4. */
  closeSession: (id: number = nextClientId(), botInfo: object = DEMO_BOT_INFO): Frame => ({
    clientMessageId: id, resourceid: '/bot.closeConversationSession', botInfo, client: 'sdk', meta: META, id,
  }),
  /** §B.3 #6: agent-desktop plugin client event. */
  typing: (id: number = nextClientId(), botInfo: object = DEMO_BOT_INFO): Frame => ({
    event: 'typing', message: { body: '', type: '' }, resourceid: '/bot.message', botInfo, client: 'sdk', meta: META, id,
  }),
};

// ---------------------------------------------------------------------------------------------
// Waiting on sockets.

export const isType = (type: string) => (f: Frame) => f['type'] === type;
export const botText = (f: Frame): string | undefined => (f['type'] === 'bot_response' ? f['message']?.[0]?.cInfo?.body : undefined);
export const isReply = (text: string) => (f: Frame) => botText(f) === text;
export const ackFor = (id: number | string) => (f: Frame) => f['type'] === 'ack' && f['replyto'] === id;

/** Send a text frame; wait for its ack and the demo bot's echo ("You said: …"). */
export async function chat(socket: KoreSocket, body: string, timeoutMs = 5000): Promise<{ id: number; ack: Frame; reply: Frame }> {
  const frame = frames.text(body);
  const id = frame['clientMessageId'] as number;
  socket.send(frame);
  const ack = await socket.next(ackFor(id), timeoutMs);
  const reply = await socket.next(isReply(`You said: ${body}`), timeoutMs);
  return { id, ack, reply };
}

/** Assert that nothing matching `match` arrives within `ms` (for "never" rules). */
export async function expectNothing(socket: KoreSocket, match: (f: Frame) => boolean, ms: number, what = 'frame'): Promise<void> {
  const from = socket.frames.length;
  await sleep(ms);
  const seen = socket.frames.slice(from).filter(match);
  expect(seen, `unexpected ${what}: ${JSON.stringify(seen)}`).toEqual([]);
}

/** The close code, or a failure if the socket is still open after `ms`. */
export async function closeWithin(socket: KoreSocket, ms = 3000): Promise<{ code: number; reason: string }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms; frames: ${JSON.stringify(socket.frames).slice(0, 2000)}`)), ms);
  });
  try {
    return await Promise.race([socket.closed, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Poll `fn` until it returns a truthy value, or fail after `ms`. */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, ms = 5000, every = 100, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${ms} ms${last ? `: ${String(last)}` : ''}`);
    await sleep(every);
  }
}

/** Frames that carry a log position (everything but acks/pongs/errors/bot_active). */
export const logFrames = (fs: readonly Frame[]) => fs.filter((f) => typeof f['seq'] === 'number' && f['type'] !== 'ack');

export function expectStrictlyIncreasing(values: readonly number[], what: string): void {
  for (let i = 1; i < values.length; i++) {
    expect(values[i]!, `${what} not strictly increasing at ${i}: ${JSON.stringify(values)}`).toBeGreaterThan(values[i - 1]!);
  }
}

// ---------------------------------------------------------------------------------------------
// History.

/** The whole conversation through `botmessages/rtm`, paging from the newest page back, oldest → newest. */
export async function fullHistory(client: KoreClient, pageSize = 100): Promise<Frame[]> {
  const pages: Frame[][] = [];
  let offset = 0;
  for (let i = 0; i < 1000; i++) {
    const res = await client.history(`&offset=${offset}&limit=${pageSize}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const messages = res.body.messages as Frame[];
    pages.unshift(messages);
    if (!res.body.moreAvailable || messages.length === 0) break;
    offset += messages.length;
  }
  return pages.flat();
}

export const historyText = (m: Frame): string => m['components'][0].data.text;
export const incomingTexts = (ms: readonly Frame[]) => ms.filter((m) => m['type'] === 'incoming').map(historyText);

/** An ISO-8601 UTC timestamp, as `createdOn`, `expiresDate` and `issuedDate` carry. */
export const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
