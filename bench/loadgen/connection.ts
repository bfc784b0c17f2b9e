/**
 * One client socket: sends the Kore Web SDK's user frame and matches replies to requests. A request is
 * complete when the `bot_response` that follows its `ack` arrives (per connection, FIFO; the echo
 * server's `bot_response` also carries `replyto`, which is used when present).
 */
import WebSocket from 'ws';
import type { Target } from './protocol.js';
import type { Pending, RunState } from './run-state.js';

/** Every connection the generator holds, and what their frames are counted against. */
export class Fleet {
  conns: Conn[] = [];
  /** The run in progress; null during setup and between runs (frames are then not counted). */
  run: RunState | null = null;
  /** Set when the generator shuts down, so that the closes it causes are not counted as errors. */
  closing = false;

  terminateAll(): void {
    this.closing = true;
    for (const c of this.conns) c.ws.terminate();
  }
}

let nextId = Date.now() * 1000;

export class Conn {
  readonly pending: Pending[] = [];
  private readonly framePrefix: string;
  private readonly frameSuffix: string;
  /** Resolved by `bot_active` (Colloquy) or `open` (echo). */
  ready!: Promise<void>;
  /** Colloquy: resolved by the first `bot_response` before any request (the welcome). */
  welcome: Promise<void>;
  private welcomed!: () => void;
  private onActive: (() => void) | undefined;
  private onFail: ((e: Error) => void) | undefined;
  sawWelcome = false;

  constructor(
    readonly ws: WebSocket,
    readonly target: Target,
    botInfoJson: string,
    private readonly fleet: Fleet,
  ) {
    // The Kore Web SDK's user-message frame (194 B with these ids, as in the reference measurements).
    this.framePrefix = '{"clientMessageId":';
    this.frameSuffix = `,"message":{"body":"hi","attachments":[]},"resourceid":"/bot.message","botInfo":${botInfoJson},"id":`;
    this.welcome = new Promise((r) => (this.welcomed = r));
    this.ready = new Promise<void>((resolve, reject) => {
      this.onActive = resolve;
      this.onFail = reject;
    });
    ws.on('message', (data) => this.onMessage(data.toString()));
    ws.on('open', () => {
      if (target === 'echo') this.activate();
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => this.fail(new Error(`upgrade refused: ${res.statusCode} ${body.slice(0, 200)}`)));
    });
    ws.on('error', (err) => {
      const run = this.fleet.run;
      if (run) {
        run.socketErrors++;
        run.noteError(`socket error: ${err.message}`);
      }
      this.fail(err);
    });
    ws.on('close', (code, reason) => {
      const run = this.fleet.run;
      if (run && !this.fleet.closing) {
        run.closes++;
        run.noteError(`socket closed during run: ${code} ${reason.toString()}`);
      }
      this.fail(new Error(`closed ${code} ${reason.toString()}`));
    });
  }

  private activate(): void {
    const f = this.onActive;
    this.onActive = this.onFail = undefined;
    f?.();
  }

  private fail(err: Error): void {
    const f = this.onFail;
    this.onActive = this.onFail = undefined;
    f?.(err);
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(t: number, measured: boolean): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    const id = nextId++;
    this.pending.push({ id, t, measured, acked: false });
    this.ws.send(this.framePrefix + id + this.frameSuffix + id + '}');
    return true;
  }

  private onMessage(text: string): void {
    let f: { type?: unknown; replyto?: unknown; error?: unknown };
    try {
      f = JSON.parse(text) as typeof f;
    } catch {
      return;
    }
    const run = this.fleet.run;
    switch (f.type) {
      case 'ack': {
        const p = this.pending.find((x) => x.id === f.replyto);
        if (p) p.acked = true;
        else if (run) run.unmatched++;
        return;
      }
      case 'bot_response': {
        let i = -1;
        if (typeof f.replyto === 'number') i = this.pending.findIndex((x) => x.id === f.replyto);
        else if (this.pending[0]?.acked) i = 0;
        if (i < 0) {
          if (this.pending.length === 0 && !this.sawWelcome) {
            this.sawWelcome = true;
            this.welcomed();
          } else if (run) run.unmatched++;
          return;
        }
        const p = this.pending.splice(i, 1)[0]!;
        run?.complete(this, p);
        return;
      }
      case 'bot_active':
        this.activate();
        return;
      case 'error': {
        if (run) {
          run.errorFrames++;
          run.noteError(`error frame: ${JSON.stringify(f.error)}`);
        }
        const i = this.pending.findIndex((x) => x.id === f.replyto);
        if (i >= 0) {
          const p = this.pending.splice(i, 1)[0]!;
          run?.refused(this, p);
        }
        return;
      }
      default:
        return;
    }
  }
}
