import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { CoreError } from '../core/errors.js';
import type { ConnectionHandler, Link } from '../core/ports/link.js';

/** Links corked in this tick, uncorked together by one `nextTick` (not one callback per link). */
const corked: SocketLink[] = [];
const uncorkAll = (): void => {
  for (let i = 0; i < corked.length; i++) corked[i]!.uncork();
  corked.length = 0;
};

export interface LinkLimits {
  /** Bytes queued in the socket beyond which the client is a slow consumer. */
  readonly maxBufferedBytes: number;
}

/**
 * A {@link Link} over a `ws` socket: sends only while open, never lets a client that stops reading
 * grow the server's memory (closed with SLOW_CONSUMER instead), and closes with the error table's code.
 */
export class SocketLink implements Link {
  handler: ConnectionHandler | undefined;
  /** Heartbeat: set when a pong (or any frame) arrives, cleared when a ping is sent. */
  alive = true;
  /** Frames sent to this client (metrics read it). */
  sent = 0;
  private closing = false;
  private corked = false;
  /** The TCP socket under `ws` (not part of its typed API), corked so one tick's frames leave in one write. */
  private readonly socket: Socket | undefined;
  /** (Called by `uncorkAll` only.) */
  uncork(): void {
    this.corked = false;
    this.socket?.uncork();
  }

  constructor(
    readonly id: string,
    private readonly ws: WebSocket,
    private readonly limits: LinkLimits,
  ) {
    this.socket = (ws as unknown as { _socket?: Socket })._socket;
  }

  get open(): boolean {
    return !this.closing && this.ws.readyState === this.ws.OPEN;
  }

  send(frame: string): void {
    if (!this.open) return;
    if (this.ws.bufferedAmount > this.limits.maxBufferedBytes) {
      this.close(new CoreError('SLOW_CONSUMER'));
      return;
    }
    // A turn sends its ack and the bot's answer in the same tick: cork until the tick ends so they
    // share one system call instead of one each.
    if (!this.corked && this.socket) {
      this.corked = true;
      this.socket.cork();
      if (corked.push(this) === 1) process.nextTick(uncorkAll);
    }
    this.ws.send(frame);
    this.sent += 1;
  }

  close(reason: CoreError): void {
    if (this.closing) return;
    this.closing = true;
    // A slow consumer's close frame queues behind its unread data; nothing more is added, and `ws`
    // destroys the socket if the closing handshake does not complete in time.
    this.ws.close(reason.spec.close ?? 1011, reason.code);
  }

  ping(): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
  }

  /** Forcefully drop the connection (missed heartbeat, shutdown timeout). */
  terminate(): void {
    this.closing = true;
    this.ws.terminate();
  }
}
