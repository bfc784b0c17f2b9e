import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import { CoreError } from '../core/errors.js';
import type { ConnectionHandler, Link } from '../core/ports/link.js';
import type { Logger } from '../core/ports/logger.js';
import type { Metrics } from './metrics.js';

export interface SocketIoSettings {
  /** Handshake path (Socket.IO's default `/socket.io`). */
  readonly path: string;
  readonly maxPayloadBytes: number;
  /** Frames queued for a client beyond which it is a slow consumer. */
  readonly maxQueuedFrames: number;
}

/** Events a client may send a request with (`socket.send()` emits `message`). */
const INBOUND_EVENTS = ['message', 'request'] as const;

/**
 * A {@link Link} over a Socket.IO socket: each frame is one `message` event carrying the frame object.
 * Socket.IO has no close codes, so a close first emits `closing` with the code a raw WebSocket would get.
 */
class SocketIoLink implements Link {
  handler: ConnectionHandler | undefined;
  private closing = false;

  constructor(
    readonly id: string,
    private readonly socket: Socket,
    private readonly maxQueuedFrames: number,
  ) {}

  get open(): boolean {
    return !this.closing && this.socket.connected;
  }

  send(frame: string): void {
    if (!this.open) return;
    const queued = (this.socket.conn as unknown as { writeBuffer?: unknown[] }).writeBuffer?.length ?? 0;
    if (queued > this.maxQueuedFrames) return this.close(new CoreError('SLOW_CONSUMER'));
    this.socket.emit('message', JSON.parse(frame) as unknown);
  }

  close(reason: CoreError): void {
    if (this.closing) return;
    this.closing = true;
    this.socket.emit('closing', { code: reason.spec.close ?? 1011, errorCode: reason.code, message: reason.message });
    // A namespace disconnect reaches the client as "io server disconnect" (it then does not reconnect by itself);
    // `disconnect(true)` would drop the transport without it. The transport goes soon after either way.
    this.socket.disconnect(false);
    const conn = this.socket.conn;
    setTimeout(() => conn.close(), 1000).unref();
  }
}

/**
 * The Socket.IO v4 side of the gateway, for protocols that speak it (the Aisera channel): same handler,
 * same frames as the raw WebSocket, one `message` event per frame in each direction.
 */
export class SocketIoGateway {
  private readonly io: Server;
  private readonly links = new Set<SocketIoLink>();

  constructor(
    server: HttpServer,
    settings: SocketIoSettings,
    protocol: string,
    start: (link: Link, origin: string | undefined) => ConnectionHandler,
    metrics: Metrics,
    log: Logger,
  ) {
    const closeListeners = new Set(server.listeners('close'));
    this.io = new Server(server, {
      path: settings.path,
      serveClient: false,
      maxHttpBufferSize: settings.maxPayloadBytes,
      // The protocol checks each request's origin against its channel; the handshake is open to any page.
      cors: { origin: true, credentials: false },
      // Other upgrade requests belong to the WebSocket gateway.
      destroyUpgrade: false,
    });
    // Engine.IO closes every client when the HTTP server closes, which a graceful shutdown does first (it stops
    // accepting); clients must instead be told to reconnect elsewhere, once turns have finished (closeAll).
    for (const l of server.listeners('close')) if (!closeListeners.has(l)) server.removeListener('close', l as () => void);
    this.io.on('connection', (socket) => {
      const link = new SocketIoLink(socket.id, socket, settings.maxQueuedFrames);
      this.links.add(link);
      metrics.connections.inc({ protocol });
      for (const event of INBOUND_EVENTS) {
        socket.on(event, (...args: unknown[]) => {
          const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (v: unknown) => void) : undefined;
          const payload = args[0];
          if (Buffer.isBuffer(payload) || payload instanceof ArrayBuffer || ArrayBuffer.isView(payload)) {
            link.handler?.binary ? link.handler.binary() : link.close(new CoreError('INVALID_PAYLOAD'));
            return;
          }
          ack?.({ received: true });
          link.handler?.receive(typeof payload === 'string' ? payload : JSON.stringify(payload ?? null));
        });
      }
      socket.on('disconnect', () => {
        this.links.delete(link);
        metrics.connections.dec({ protocol });
        link.handler?.closed(1000);
      });
      try {
        link.handler = start(link, socket.handshake.headers.origin);
      } catch (err) {
        log.error({ err }, 'gateway.socketio_start_failed');
        link.close(new CoreError('INTERNAL'));
      }
    });
  }

  get size(): number {
    return this.links.size;
  }

  /** Tell every client to reconnect elsewhere (1001) and close (waiting up to `timeoutMs` for them to go); stop the engine. */
  async closeAll(timeoutMs: number): Promise<void> {
    for (const link of this.links) link.close(new CoreError('SHUTTING_DOWN'));
    const deadline = Date.now() + timeoutMs;
    // Clients close their transport once they read the disconnect; closing the engine earlier would discard it.
    while ((this.links.size > 0 || this.io.engine.clientsCount > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.io.engine.close();
  }
}
