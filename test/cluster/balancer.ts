/**
 * A TCP load balancer for the cluster tests, doing what any load balancer in front of Colloquy does
 * (docs/deploy.md): round robin over the backends that pass their health check (`GET /healthz` → 200), no
 * sticky sessions, WebSocket upgrades passed through untouched. A connection to a backend that refuses is
 * retried on the next one.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface Backend {
  readonly url: string;
  healthy: boolean;
}

export class Balancer {
  readonly backends: Backend[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  /** The backend each client connection was sent to, by the client's port. */
  private readonly routes = new Map<number, string>();
  private readonly checker: ReturnType<typeof setInterval>;
  private next = 0;
  port = 0;

  private constructor() {
    this.server = createServer((client) => this.route(client, 0));
    this.checker = setInterval(() => void this.check(), 200);
  }

  static async start(): Promise<Balancer> {
    const b = new Balancer();
    await new Promise<void>((resolve) => b.server.listen(0, '127.0.0.1', resolve));
    b.port = (b.server.address() as { port: number }).port;
    return b;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  add(url: string): void {
    this.backends.push({ url, healthy: true });
  }

  /** Which backend serves the client connection from this local port (a test's socket). */
  backendOf(clientPort: number): string | undefined {
    return this.routes.get(clientPort);
  }

  remove(url: string): void {
    const i = this.backends.findIndex((b) => b.url === url);
    if (i >= 0) this.backends.splice(i, 1);
  }

  async close(): Promise<void> {
    clearInterval(this.checker);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async check(): Promise<void> {
    await Promise.all(
      this.backends.map(async (b) => {
        try {
          const res = await fetch(`${b.url}/healthz`, { signal: AbortSignal.timeout(500) });
          b.healthy = res.status === 200;
        } catch {
          b.healthy = false;
        }
      }),
    );
  }

  private route(client: Socket, attempt: number): void {
    const live = this.backends.filter((b) => b.healthy);
    if (live.length === 0 || attempt >= Math.max(3, live.length)) {
      client.destroy();
      return;
    }
    const backend = live[this.next++ % live.length]!.url;
    const target = new URL(backend);
    if (client.remotePort !== undefined) this.routes.set(client.remotePort, backend);
    const upstream = connect({ host: target.hostname, port: Number(target.port) });
    this.sockets.add(client);
    this.sockets.add(upstream);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.on('error', () => {
      if (!connected) {
        this.sockets.delete(upstream);
        this.route(client, attempt + 1);
      } else client.destroy();
    });
    client.on('error', () => upstream.destroy());
    client.on('close', () => {
      upstream.destroy();
      this.sockets.delete(client);
      if (client.remotePort !== undefined && this.routes.get(client.remotePort) === backend) this.routes.delete(client.remotePort);
    });
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      if (connected) client.destroy();
    });
  }
}
