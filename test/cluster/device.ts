/**
 * A browser tab as the cluster tests need it: one device (access token) of a user, with the Kore Web SDK's
 * habits — reconnect with `isReconnect=true` after a close (backing off while rtm/start or the upgrade
 * fails), re-send messages that were never acked (same client message id), drop frames whose `messageId`
 * it already showed. It records what it showed (its transcript) and what was acked.
 */
import { KoreClient, KoreSocket, type Frame } from '../support/kore-client.js';
import { LOGIN } from './harness.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Shown {
  /** `user:<text>` (another device's message) or `bot:<text>`. */
  readonly text: string;
  readonly seq: number;
}

let lastId = 0;
const nextClientId = () => (lastId = Math.max(Date.now() * 10, lastId + 1));

export class Device {
  readonly sockets: KoreSocket[] = [];
  /** What the page shows, in order, each message once (the SDK drops a repeated messageId). */
  readonly shown: Shown[] = [];
  /** Frames dropped as repeats: replayed after an abrupt drop, from a conservative resume point. */
  repeats = 0;
  readonly sent = new Map<number, string>();
  readonly acked = new Map<number, number>();
  /** Close codes of the sockets that closed. */
  readonly closes: number[] = [];
  /** Reconnects that failed for good. */
  readonly errors: string[] = [];
  private readonly seen = new Set<string>();
  private stopped = false;
  private reconnecting: Promise<void> | undefined;

  private constructor(
    readonly client: KoreClient,
    readonly name: string,
    /** Where rtm/start is asked (a node, or the balancer); read at every (re)connect. */
    private readonly base: () => string,
  ) {}

  static async login(base: () => string, identity: string, name: string): Promise<Device> {
    return new Device(await KoreClient.login(base(), { ...LOGIN, identity }), name, base);
  }

  get socket(): KoreSocket | undefined {
    return this.sockets.at(-1);
  }

  get open(): boolean {
    return this.socket?.ws.readyState === this.socket?.ws.OPEN;
  }

  /** Open a socket (rtm/start on the current base), retrying for a while like the SDK. */
  async connect(isReconnect = true, url?: string): Promise<KoreSocket> {
    for (let attempt = 0; ; attempt++) {
      try {
        let wsUrl = url;
        if (!wsUrl) {
          const res = await fetch(`${this.base()}/api/rtm/start`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `bearer ${this.client.accessToken}` },
            body: JSON.stringify({ botInfo: this.client.botInfo, token: {} }),
          });
          if (res.status !== 200) throw new Error(`rtm/start ${res.status}`);
          wsUrl = ((await res.json()) as { url: string }).url;
        }
        const socket = await KoreSocket.open(wsUrl + (isReconnect ? '&isReconnect=true' : ''), this.client);
        this.watch(socket);
        return socket;
      } catch (err) {
        if (url || attempt >= 40 || this.stopped) throw err;
        await sleep(Math.min(50 * (attempt + 1), 300));
      }
    }
  }

  /** Send a user message (remembered until acked, re-sent after a reconnect). */
  say(text: string): number {
    const id = nextClientId();
    this.sent.set(id, text);
    if (this.open) this.socket!.send(this.frame(text, id));
    return id;
  }

  /** Texts this device sent that were acked. */
  ackedTexts(): string[] {
    return [...this.acked.keys()].map((id) => this.sent.get(id)!);
  }

  get unacked(): number {
    return this.sent.size - this.acked.size;
  }

  /** Stop reconnecting and close the socket. */
  async close(): Promise<void> {
    this.stopped = true;
    await this.reconnecting?.catch(() => {});
    if (this.open) await this.socket!.close();
  }

  private frame(text: string, id: number): Frame {
    return { clientMessageId: id, resourceid: '/bot.message', message: { body: text }, botInfo: this.client.botInfo, client: 'sdk', meta: { timezone: 'Etc/UTC', locale: 'en-US' }, id };
  }

  private watch(socket: KoreSocket): void {
    this.sockets.push(socket);
    // The socket records every frame from its creation, but frames that came in the same read as the 101 (a
    // resume's catch-up, when this process is slow) are emitted right after `open`, before the `await` of the
    // opening resumes and this runs. Take those first, then the rest as they come.
    for (const f of socket.frames) this.see(f);
    socket.ws.on('message', (data) => this.see(JSON.parse(data.toString()) as Frame));
    void socket.closed.then(({ code }) => {
      this.closes.push(code);
      // Like the SDK: back after a going-away, a drop, a server error or a "reconnect and resume" code.
      const again = code === 1001 || code === 1006 || code === 1011 || (code >= 4000 && code < 4500);
      if (this.stopped || !again || socket !== this.socket) return;
      this.reconnecting = this.reconnect().catch((err: unknown) => {
        if (!this.stopped) this.errors.push(String(err));
      });
    });
  }

  private see(f: Frame): void {
    if (f['type'] === 'ack' && typeof f['replyto'] === 'number' && this.sent.has(f['replyto'])) this.acked.set(f['replyto'], f['seq']);
    const text = f['type'] === 'bot_response' ? `bot:${f['message']?.[0]?.cInfo?.body}` : f['type'] === 'user_message' ? `user:${f['message']?.body}` : undefined;
    if (text === undefined) return;
    const key = f['type'] === 'bot_response' ? `b:${f['messageId']}` : `u:${f['message']?.body}`;
    if (this.seen.has(key)) {
      this.repeats += 1;
      return;
    }
    this.seen.add(key);
    this.shown.push({ text, seq: f['seq'] });
  }

  /** Like the SDK: back after a short pause, then re-send what was never acked. */
  private async reconnect(): Promise<void> {
    await sleep(100 + Math.random() * 100);
    if (this.stopped) return;
    const socket = await this.connect(true);
    await socket.next((f) => f['type'] === 'bot_active', 5000);
    for (const [id, text] of this.sent) if (!this.acked.has(id)) socket.send(this.frame(text, id));
  }
}

/** The conversation's messages as the history API returns them, oldest first: `user:<text>` / `bot:<text>`. */
export async function logOf(client: KoreClient): Promise<string[]> {
  const out: Frame[][] = [];
  let offset = 0;
  for (let i = 0; i < 1000; i++) {
    const res = await client.history(`&offset=${offset}&limit=100`);
    if (res.status !== 200) throw new Error(`history ${res.status}: ${JSON.stringify(res.body)}`);
    const messages = res.body.messages as Frame[];
    out.unshift(messages);
    if (!res.body.moreAvailable || messages.length === 0) break;
    offset += messages.length;
  }
  return out.flat().map((m) => `${m['type'] === 'incoming' ? 'user' : 'bot'}:${m['components'][0].data.text}`);
}

/**
 * What a device should have shown: the conversation's log without the device's own messages (a sender
 * gets an ack, not an echo).
 */
export function expectedFor(device: Device, log: readonly string[]): string[] {
  const mine = new Set([...device.sent.values()].map((t) => `user:${t}`));
  return log.filter((m) => !mine.has(m));
}
