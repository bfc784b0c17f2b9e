import type { CoreError } from '../errors.js';

/**
 * One client connection as a protocol sees it. The gateway implements it over a socket: `send` goes
 * through a bounded queue (a client that stops reading is closed with SLOW_CONSUMER), `close` uses the
 * error table's close code.
 */
export interface Link {
  readonly id: string;
  send(frame: string): void;
  close(reason: CoreError): void;
  readonly open: boolean;
}

/** What a protocol does with a connection the gateway accepted. */
export interface ConnectionHandler {
  /** A complete text frame (already checked to be UTF-8 and within the size limit). */
  receive(text: string): void;
  /** A heartbeat ping is about to be sent, after everything sent so far. */
  pinging?(): void;
  /**
   * The client answered the last heartbeat ping: it has read everything sent before that ping (not what was
   * sent after it, which may still be in flight).
   */
  heard?(): void;
  /** A binary frame arrived (without this, the gateway closes with INVALID_PAYLOAD). */
  binary?(): void;
  /**
   * The server is about to close this connection because it shuts down (1001: the client reconnects to
   * another node). Stop delivering and put where the client stands somewhere the next node finds it; the
   * gateway waits for this (briefly) before it tells the client.
   */
  goingAway?(): Promise<void>;
  /**
   * The connection is gone, for whatever reason; called once. `code` is the close code of a completed
   * closing handshake, or 1006 when the connection dropped without one.
   */
  closed(code: number): void;
}

/** A WebSocket endpoint of a protocol: authenticates the upgrade request, then handles the connection. */
export interface UpgradeRoute {
  readonly path: string;
  readonly protocol: string;
  /** The protocol checks browser origins itself (per channel): the server-wide allow-list does not refuse the upgrade. */
  readonly ownOrigins?: true;
  /**
   * Decide during the HTTP upgrade; a CoreError refuses it with that error's HTTP status. `url` is the
   * request URL resolved against the server's public base (so `url.origin` is where clients reach us).
   */
  accept(url: URL, origin?: string): Promise<((link: Link) => ConnectionHandler) | CoreError>;
}
