import WebSocket from 'ws';
import { DEMO_BOT_ID, DEMO_BOT_NAME, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from '../../src/server/demo.js';
import { mintDevJwt } from '../../src/auth/dev-jwt.js';

export type Frame = Record<string, any>;

export interface LoginOptions {
  readonly identity?: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly botId?: string;
  readonly botName?: string;
  /** Use `/api/1.1/` (the seed's form) instead of `/api/` (the SDK's default). */
  readonly apiPrefix?: '/api/' | '/api/1.1/';
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { headers: { accept: 'application/json', ...headers } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

/** A Kore RTM client speaking raw HTTP and WebSocket frames, like the Web SDK does. */
export class KoreClient {
  readonly botInfo: { chatBot: string; taskBotId: string };
  private counter = 0;

  private constructor(
    readonly baseUrl: string,
    readonly apiPrefix: string,
    readonly accessToken: string,
    readonly grant: Frame,
    botId: string,
    botName: string,
  ) {
    this.botInfo = { chatBot: botName, taskBotId: botId };
  }

  /** JWT (signed like a customer's backend would) → jwtgrant → a client with an access token. */
  static async login(baseUrl: string, o: LoginOptions = {}): Promise<KoreClient> {
    const identity = o.identity ?? `user-${Math.random().toString(36).slice(2)}@example.com`;
    const clientId = o.clientId ?? DEMO_CLIENT_ID;
    const botId = o.botId ?? DEMO_BOT_ID;
    const jwt = await mintDevJwt({
      app: { clientId, name: 'test', clientSecret: o.clientSecret ?? DEMO_CLIENT_SECRET, algorithms: ['HS256'], botIds: [botId] },
      identity,
    });
    const prefix = o.apiPrefix ?? '/api/';
    const botName = o.botName ?? DEMO_BOT_NAME;
    const res = await postJson(`${baseUrl}${prefix}oAuth/token/jwtgrant`, { assertion: jwt, botInfo: { chatBot: botName, taskBotId: botId } });
    if (res.status !== 200) throw new Error(`jwtgrant ${res.status}: ${JSON.stringify(res.body)}`);
    return new KoreClient(baseUrl, prefix, res.body.authorization.accessToken, res.body, botId, botName);
  }

  get userId(): string {
    return this.grant['userInfo'].userId;
  }

  async rtmStart(): Promise<{ status: number; body: any }> {
    return postJson(`${this.baseUrl}${this.apiPrefix}rtm/start`, { botInfo: this.botInfo, token: {} }, { authorization: `bearer ${this.accessToken}` });
  }

  async history(query = ''): Promise<{ status: number; body: any }> {
    return getJson(`${this.baseUrl}${this.apiPrefix}botmessages/rtm?botId=${this.botInfo.taskBotId}${query}`, { authorization: `bearer ${this.accessToken}` });
  }

  /** rtm/start then open the WebSocket (with `&isReconnect=true` appended when asked, as the SDK does). */
  async connect(opts: { isReconnect?: boolean } = {}): Promise<KoreSocket> {
    const start = await this.rtmStart();
    if (start.status !== 200) throw new Error(`rtm/start ${start.status}: ${JSON.stringify(start.body)}`);
    return KoreSocket.open(start.body.url + (opts.isReconnect ? '&isReconnect=true' : ''), this);
  }

  /** The user-message frame the Web SDK sends. */
  message(body: string, extra: Frame = {}): Frame {
    const id = Date.now() * 100 + (this.counter++ % 100);
    return { clientMessageId: id, message: { body, ...extra }, resourceid: '/bot.message', botInfo: this.botInfo, client: 'sdk', meta: { timezone: 'Etc/UTC', locale: 'en-US' }, id };
  }
}

/** A raw WebSocket with every received frame recorded, and waits on them. */
export class KoreSocket {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket, readonly client: KoreClient | undefined) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()));
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const w of this.waiters.splice(0)) w();
    }));
  }

  static open(url: string, client?: KoreClient, headers: Record<string, string> = {}): Promise<KoreSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const s = new KoreSocket(ws, client);
      ws.once('open', () => resolve(s));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode} ${body}`), { status: res.statusCode, body })));
      });
      ws.once('error', reject);
    });
  }

  send(frame: Frame | string): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Wait for the first frame (at or after index `from`) matching `match`. */
  async next(match: (f: Frame) => boolean, timeoutMs = 3000, from = 0): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.slice(from).find(match);
      if (found) return found;
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`socket closed while waiting; frames: ${JSON.stringify(this.frames)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; frames so far: ${JSON.stringify(this.frames)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  ofType(type: string): Frame[] {
    return this.frames.filter((f) => f['type'] === type);
  }

  /** Send a user message and wait for its ack and the first bot_response after it. */
  async say(body: string, extra: Frame = {}): Promise<{ ack: Frame; reply: Frame }> {
    if (!this.client) throw new Error('no client');
    const frame = this.client.message(body, extra);
    const from = this.frames.length;
    this.send(frame);
    const ack = await this.next((f) => f['type'] === 'ack' && f['replyto'] === frame['clientMessageId'], 3000, from);
    const reply = await this.next((f) => f['type'] === 'bot_response' && f['seq'] > ack['seq'], 3000, from);
    return { ack, reply };
  }

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close();
    return this.closed;
  }
}

/** Text of a bot_response, as the Web SDK would show it (template JSON for templates). */
export const textOf = (f: Frame): string => f['message'][0].cInfo.body;
