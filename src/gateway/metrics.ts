import { readdir, stat } from 'node:fs/promises';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const PREFIX = 'colloquy_';

/**
 * prom-client's default metrics that cost time on the event loop in proportion to the open sockets: each
 * scrape lists every handle (`process._getActiveHandles()`, `getActiveResourcesInfo()`) or reads
 * `/proc/self/fd` entry by entry. With 10,000 connections that was 60 ms per scrape, during which no
 * connection is served. `colloquy_connections` counts the sockets that matter; the file descriptors are
 * counted again below, cheaply.
 */
export const OMITTED_DEFAULT_METRICS = [
  'nodejs_active_handles',
  'nodejs_active_handles_total',
  'nodejs_active_resources',
  'nodejs_active_resources_total',
  'process_open_fds',
] as const;

/**
 * Open file descriptors. Linux (6.2 and later) gives their number as the size of `/proc/self/fd`, at no cost
 * per descriptor; older kernels say 0 there, and then the directory is listed, off the event loop.
 */
async function openFds(): Promise<number | undefined> {
  try {
    const { size } = await stat('/proc/self/fd');
    return size > 0 ? size : (await readdir('/proc/self/fd')).length - 1;
  } catch {
    return undefined;
  }
}

/** Prometheus metrics of one node, served at `GET /metrics`. */
export class Metrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({ name: 'colloquy_connections', help: 'Open client WebSocket connections.', labelNames: ['protocol'] as const, registers: [this.registry] });
  private frames: () => { received: number; sent: number } = () => ({ received: 0, sent: 0 });
  readonly framesIn: Counter = this.frameCounter('colloquy_frames_received_total', 'Client frames received.', 'received');
  readonly framesOut: Counter = this.frameCounter('colloquy_frames_sent_total', 'Frames sent to clients.', 'sent');
  readonly closes = new Counter({ name: 'colloquy_connection_closes_total', help: 'Connections closed, by close code.', labelNames: ['protocol', 'code'] as const, registers: [this.registry] });
  readonly upgradesRefused = new Counter({ name: 'colloquy_upgrades_refused_total', help: 'WebSocket upgrades refused, by error code.', labelNames: ['code'] as const, registers: [this.registry] });
  readonly httpRequests = new Counter({ name: 'colloquy_http_requests_total', help: 'HTTP requests, by route and status.', labelNames: ['route', 'status'] as const, registers: [this.registry] });
  readonly storeBatch = new Histogram({ name: 'colloquy_store_batch_size', help: 'Appends per group commit.', buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500], registers: [this.registry] });
  readonly storeCommitSeconds = new Histogram({ name: 'colloquy_store_commit_seconds', help: 'Duration of one group commit.', buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5], registers: [this.registry] });

  /** Frame counts are kept by the gateway as plain numbers (counting each frame here costs too much) and read at scrape time. */
  onFrames(read: () => { received: number; sent: number }): void {
    this.frames = read;
  }

  private frameCounter(name: string, help: string, which: 'received' | 'sent'): Counter {
    const read = () => this.frames()[which];
    return new Counter({
      name,
      help,
      registers: [this.registry],
      collect(this: Counter) {
        this.reset();
        this.inc(read());
      },
    });
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
    for (const name of OMITTED_DEFAULT_METRICS) this.registry.removeSingleMetric(PREFIX + name);
    if (process.platform === 'linux') {
      new Gauge({
        name: `${PREFIX}process_open_fds`,
        help: 'Number of open file descriptors.',
        registers: [this.registry],
        async collect(this: Gauge) {
          const n = await openFds();
          if (n !== undefined) this.set(n);
        },
      });
    }
  }
}
