/**
 * Clients of the Aisera channel for the black-box tests: a raw WebSocket, a Socket.IO client (the real
 * `socket.io-client` package) and REST — each sends requests as text or objects and records every frame.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';

export const AISERA_BOT_DIR = fileURLToPath(new URL('../fixtures/bots/aisera', import.meta.url));
export { DEMO_CHANNEL_ID, DEMO_CHANNEL_KEY } from '../../src/server/demo.js';

export type Frame = Record<string, any>;

const SEED = JSON.parse(readFileSync(new URL('../fixtures/aisera/seed-requests.json', import.meta.url), 'utf8')) as { samples: Record<string, string> };
export type SeedName = 'basic' | 'interactive' | 'formSubmit' | 'sessionVar' | 'needsSessionHistory' | 'isReset' | 'logout' | 'goBack' | 'startOver';
export const SEED_NAMES = Object.keys(SEED.samples) as SeedName[];

export interface Fill {
  readonly token: string;
  readonly userId: string;
  readonly userEmail: string;
  readonly channelId: string;
  /** Values the server issued, replacing the seed's own (`followUpId`, `formId`). */
  readonly followUpId?: string;
  readonly formId?: string;
}

/** A seed sample, verbatim, with its placeholders filled: the exact text a doc-following client would send. */
export function seedText(name: SeedName, fill: Fill): string {
  let t = SEED.samples[name]!;
  t = t.replaceAll('<token>', fill.token).replaceAll('<userid>', fill.userId).replaceAll('<userEmail>', fill.userEmail).replaceAll('<channelId>', fill.channelId);
  if (fill.followUpId) t = t.replace('R:0e70f8b8-6f6c-4ee5-8d26-6a8375e9bcea', fill.followUpId);
  if (fill.formId) t = t.replace('bcbed7df-951f-4369-b5f0-443ef31e2372', fill.formId);
  return t;
}

let n = 0;
export const uniqueUser = (tag = 'user'): string => `${tag}-${process.pid}-${Date.now().toString(36)}-${++n}`;

/** A request envelope in the seed's shape. */
export function request(fill: Pick<Fill, 'token' | 'userId' | 'channelId'>, data: Record<string, unknown>, extra: Record<string, unknown> = {}): Frame {
  return { token: fill.token, userId: fill.userId, channelId: fill.channelId, ...extra, data: { sessionVars: {}, isKL: false, reqId: `r-${++n}`, ...data } };
}

/** Frames a client received, with waiting. */
class Inbox {
  readonly frames: Frame[] = [];
  private waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  protected take(f: Frame): void {
    this.frames.push(f);
    for (const w of [...this.waiters]) {
      if (w.pred(f)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(f);
      }
    }
  }
  /** The first frame (received from now on, or already, after `from`) matching `pred`. */
  next(pred: (f: Frame) => boolean, ms = 5000, from = 0): Promise<Frame> {
    const seen = this.frames.slice(from).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no matching frame within ${ms} ms; got ${JSON.stringify(this.frames.slice(-5))}`)), ms);
      this.waiters.push({ pred, resolve: (f) => (clearTimeout(t), resolve(f)) });
    });
  }
  /** All frames of `reqId` up to and including its final one. */
  async response(reqId: unknown, ms = 5000, from = 0): Promise<Frame[]> {
    await this.next((f) => f.reqId === reqId && f.final === true, ms, from);
    return this.frames.slice(from).filter((f) => f.reqId === reqId);
  }
}

export class RawClient extends Inbox {
  closeCode: number | undefined;
  readonly closed: Promise<number>;
  private constructor(readonly ws: WebSocket) {
    super();
    ws.on('message', (d) => this.take(JSON.parse(d.toString()) as Frame));
    this.closed = new Promise((r) => ws.on('close', (code) => r((this.closeCode = code))));
  }
  static async connect(baseUrl: string, opts: { origin?: string; query?: string } = {}): Promise<RawClient> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/ws${opts.query ?? ''}`, opts.origin ? { origin: opts.origin } : {});
    const c = new RawClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    return c;
  }
  send(req: Frame | string): void {
    this.ws.send(typeof req === 'string' ? req : JSON.stringify(req));
  }
  async ask(req: Frame | string, ms?: number): Promise<Frame[]> {
    const reqId = typeof req === 'string' ? (JSON.parse(req) as Frame).data.reqId : req.data.reqId;
    const from = this.frames.length;
    this.send(req);
    return this.response(reqId, ms, from);
  }
  close(): void {
    this.ws.close();
  }
}

export class SioClient extends Inbox {
  readonly closings: Frame[] = [];
  private constructor(readonly socket: Socket) {
    super();
    socket.on('message', (f: Frame) => this.take(f));
    socket.on('closing', (f: Frame) => this.closings.push(f));
  }
  static async connect(baseUrl: string, opts: { transports?: ('websocket' | 'polling')[]; origin?: string } = {}): Promise<SioClient> {
    const socket = io(baseUrl, { transports: opts.transports ?? ['websocket'], reconnection: false, forceNew: true, ...(opts.origin ? { extraHeaders: { origin: opts.origin } } : {}) });
    const c = new SioClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return c;
  }
  send(req: Frame | string): void {
    this.socket.emit('message', req);
  }
  async ask(req: Frame | string, ms?: number): Promise<Frame[]> {
    const reqId = typeof req === 'string' ? (JSON.parse(req) as Frame).data.reqId : req.data.reqId;
    const from = this.frames.length;
    this.send(req);
    return this.response(reqId, ms, from);
  }
  close(): void {
    this.socket.close();
  }
}

export interface RestReply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Frame;
}

export async function rest(baseUrl: string, body: Frame | string, headers: Record<string, string> = {}, path = '/api/receive'): Promise<RestReply> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Frame };
}

/** A user token for `userId`, minted with the channel key. */
export async function userToken(baseUrl: string, channelId: string, channelKey: string, userId: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await rest(baseUrl, { channelId, userId, ...extra }, { authorization: `Bearer ${channelKey}` }, '/api/token');
  if (r.status !== 200) throw new Error(`token: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body['token'] as string;
}

export const texts = (frames: readonly Frame[]): string[] =>
  frames.flatMap((f) => (f.answers as Frame[]).flatMap((a) => (a.type === 'text' ? [a.text as string] : a.type === 'options' && a.text ? [a.text as string] : [])));
