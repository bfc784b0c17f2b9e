import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CoreError, toCoreError } from '../core/errors.js';
import { newConnectionId } from '../core/ids.js';
import type { ConnectionHandler, UpgradeRoute } from '../core/ports/link.js';
import type { Logger } from '../core/ports/logger.js';
import type { Metrics } from './metrics.js';
import { SocketLink } from './socket-link.js';

export interface SocketSettings {
  readonly maxPayloadBytes: number;
  readonly maxBufferedBytes: number;
  readonly heartbeatMs: number;
  /** Base URL clients reach us at (empty: the request's Host header). */
  readonly publicUrl: string;
  /** Is a browser page from this origin allowed to connect? */
  readonly originAllowed: (origin: string | undefined, host: string | undefined) => boolean;
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable', 500: 'Internal Server Error' };

function destroySocket(this: Duplex): void {
  this.destroy();
}

/** Refuse an upgrade with a JSON body in the Kore error shape; no socket is created. */
function refuse(socket: Duplex, err: CoreError): void {
  const body = JSON.stringify({ errors: [{ msg: err.message, code: err.code }] });
  const status = err.spec.http;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * The WebSocket side of the gateway: authenticates each upgrade through its protocol's route (no socket
 * exists until it succeeds), enforces frame limits, keeps connections alive with protocol pings, and
 * drains them on shutdown.
 */
export class SocketGateway {
  private readonly wss: WebSocketServer;
  private readonly links = new Set<SocketLink>();
  private readonly heartbeat: ReturnType<typeof setInterval>;
  private draining = false;
  /** Frame counts, kept as plain numbers on the hot path and read by the metrics at scrape time. */
  private received = 0;
  private sentByClosed = 0;

  constructor(
    private readonly routes: readonly UpgradeRoute[],
    private readonly settings: SocketSettings,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: settings.maxPayloadBytes,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.heartbeat = setInterval(() => this.beat(), settings.heartbeatMs);
    this.heartbeat.unref();
    metrics.onFrames(() => {
      let sent = this.sentByClosed;
      for (const l of this.links) sent += l.sent;
      return { received: this.received, sent };
    });
  }

  get size(): number {
    return this.links.size;
  }

  /** `server.on('upgrade', …)` handler. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // A shared listener: a closure here would keep this whole scope (the request, its URL) alive as long
    // as the socket lives.
    socket.on('error', destroySocket);
    if (this.draining) return this.refuseWith(socket, new CoreError('SHUTTING_DOWN'));
    let url: URL;
    try {
      url = new URL(req.url ?? '/', this.settings.publicUrl || `http://${req.headers.host ?? 'localhost'}`);
    } catch {
      return this.refuseWith(socket, new CoreError('BAD_REQUEST'));
    }
    const route = this.routes.find((r) => r.path === url.pathname);
    if (!route) return this.refuseWith(socket, new CoreError('NOT_FOUND'));
    if (!route.ownOrigins && !this.settings.originAllowed(req.headers.origin, req.headers.host)) return this.refuseWith(socket, new CoreError('ORIGIN_NOT_ALLOWED'));
    route.accept(url, req.headers.origin).then(
      (accepted) => {
        if (accepted instanceof CoreError) return this.refuseWith(socket, accepted);
        if (this.draining) return this.refuseWith(socket, new CoreError('SHUTTING_DOWN'));
        if (socket.destroyed) return;
        this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws, route, (link) => accepted(link)));
      },
      (err: unknown) => {
        this.log.error({ err }, 'gateway.upgrade_failed');
        this.refuseWith(socket, toCoreError(err));
      },
    );
  }

  private refuseWith(socket: Duplex, err: CoreError): void {
    this.metrics.upgradesRefused.inc({ code: err.code });
    refuse(socket, err);
  }

  private connected(ws: WebSocket, route: UpgradeRoute, start: (link: SocketLink) => ConnectionHandler): void {
    const protocol = route.protocol;
    const link = new SocketLink(newConnectionId(), ws, { maxBufferedBytes: this.settings.maxBufferedBytes });
    this.links.add(link);
    this.metrics.connections.inc({ protocol });
    ws.on('pong', () => {
      link.alive = true;
      link.handler?.heard?.();
    });
    ws.on('error', (err) => this.log.debug({ err, connection: link.id }, 'gateway.socket_error'));
    ws.on('message', (data, isBinary) => {
      link.alive = true;
      this.received += 1;
      if (isBinary) return link.handler?.binary ? link.handler.binary() : link.close(new CoreError('INVALID_PAYLOAD'));
      link.handler?.receive(data.toString());
    });
    ws.on('close', (code) => {
      this.links.delete(link);
      this.sentByClosed += link.sent;
      this.metrics.connections.dec({ protocol });
      this.metrics.closes.inc({ protocol, code: String(code) });
      link.handler?.closed(code);
    });
    try {
      link.handler = start(link);
    } catch (err) {
      this.log.error({ err }, 'gateway.connection_start_failed');
      link.close(new CoreError('INTERNAL'));
    }
  }

  private beat(): void {
    for (const link of this.links) {
      if (!link.alive) {
        link.terminate();
        continue;
      }
      link.alive = false;
      link.handler?.pinging?.();
      link.ping();
    }
  }

  /** Refuse new upgrades from now on. */
  drain(): void {
    this.draining = true;
  }

  /** Close every connection with 1001 (clients reconnect elsewhere); resolves when all are gone or after `timeoutMs`. */
  async closeAll(timeoutMs: number): Promise<void> {
    this.draining = true;
    clearInterval(this.heartbeat);
    // Handlers save their resume points first, so a client never reconnects before its point is stored.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.links].map((link) => link.handler?.goingAway?.())),
      new Promise((r) => (timer = setTimeout(r, Math.min(1000, timeoutMs / 2)))),
    ]);
    clearTimeout(timer);
    for (const link of this.links) link.close(new CoreError('SHUTTING_DOWN'));
    const deadline = Date.now() + timeoutMs;
    while (this.links.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const link of this.links) link.terminate();
    this.wss.close();
  }
}
