import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../../core/ports/logger.js';
import { silentLogger } from '../../core/ports/logger.js';
import { Channels } from './channels.js';

export interface RedisSettings {
  /** redis://[user:password@]host:port[/db] or rediss://… */
  readonly url: string;
  /** Prepended to every key and channel, so deployments (and test runs) can share one Redis. */
  readonly prefix: string;
  readonly log?: Logger;
}

/**
 * A node's two connections to Redis: `cmd` for commands (pipelined: everything issued in one turn of the
 * event loop goes out in one write) and `sub` for pub/sub, shared by the bus and the sequencer's wake-ups.
 * ioredis reconnects by itself; commands wait for the connection a while, then fail (the turn that needed
 * them reports a retryable error, the rest of the node carries on).
 */
export class RedisConnections {
  readonly cmd: Redis;
  readonly channels: Channels;
  readonly prefix: string;
  private readonly sub: Redis;
  private closed = false;

  constructor(settings: RedisSettings) {
    const log = settings.log ?? silentLogger;
    // Named after the prefix (CLIENT LIST shows which deployment a connection belongs to).
    const name = `${settings.prefix.replace(/[^\w:.-]/g, '_')}`;
    const common: RedisOptions = {
      lazyConnect: true,
      maxRetriesPerRequest: 3,
      enableAutoPipelining: true,
      connectionName: `${name}cmd`,
      retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
    };
    this.prefix = settings.prefix;
    this.cmd = new Redis(settings.url, common);
    // The subscriber re-subscribes itself (Channels) so that it knows when it is back in sync.
    this.sub = new Redis(settings.url, { ...common, autoResubscribe: false, enableAutoPipelining: false, maxRetriesPerRequest: null, connectionName: `${name}sub` });
    for (const [name, client] of [['cmd', this.cmd], ['sub', this.sub]] as const) {
      let down = false;
      client.on('error', (err: Error) => {
        if (!down && !this.closed) log.warn({ err, connection: name }, 'redis.connection_error');
        down = true;
      });
      client.on('ready', () => {
        if (down) log.info({ connection: name }, 'redis.reconnected');
        down = false;
      });
    }
    this.channels = new Channels(this.sub, log);
  }

  /** Connect both; rejects (and disconnects) when Redis cannot be reached. */
  async connect(): Promise<void> {
    try {
      await Promise.all([this.cmd.connect(), this.sub.connect()]);
      await this.cmd.ping();
    } catch (err) {
      this.cmd.disconnect();
      this.sub.disconnect();
      throw new Error(`cannot reach Redis: ${(err as Error).message}`);
    }
  }

  key(name: string): string {
    return `${this.prefix}${name}`;
  }

  /** True while the command connection is up (health reports). */
  get ready(): boolean {
    return this.cmd.status === 'ready' && this.sub.status === 'ready';
  }

  /** Finish what was sent, then disconnect. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.channels.close();
    await Promise.allSettled([this.cmd.quit(), this.sub.quit()]);
    this.cmd.disconnect();
    this.sub.disconnect();
  }
}
