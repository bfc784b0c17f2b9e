/**
 * The PostgreSQL + Redis targets of `npm run bench` (`--targets …,pg-redis-1,pg-redis-2`): the same Colloquy
 * build, demo configuration and load as the embedded `colloquy` target, on one or two nodes that share a
 * fresh PostgreSQL database and a fresh Redis key prefix (both removed afterwards).
 *
 * Pinning (when pinned): node 1 on core 0 like the embedded server, node 2 on core 1 beside the load
 * generator; PostgreSQL and Redis are the machine's own services and are not pinned — their CPU is reported
 * apart ("services"). The load generator sets up session i on node i mod N: no sticky sessions, any node
 * serves any user.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import type { Target } from './loadgen/protocol.js';
import { startServer, stopServer, type Server, type ServerConfig } from './processes.js';

export const CLUSTER_TARGETS: readonly Target[] = ['pg-redis-1', 'pg-redis-2'];
export const isCluster = (t: Target): boolean => CLUSTER_TARGETS.includes(t);
const nodesOf = (t: Target): number => (t === 'pg-redis-2' ? 2 : 1);

const PG_ADMIN = process.env['COLLOQUY_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env['COLLOQUY_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
/** Process names of the services, for their CPU. */
export const SERVICE_NAMES = ['postgres', 'redis-server'] as const;

interface ClusterServer extends Server {
  readonly nodes: Server[];
  readonly database: string;
  readonly prefix: string;
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh database and prefix, then the nodes (the first one migrates the database, the others follow). */
export async function startCluster(target: Target, config: ServerConfig, nodeFlags: string[] = []): Promise<Server> {
  const tag = `${process.pid}_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const database = `colloquy_bench_${tag}`;
  await admin(`CREATE DATABASE ${database}`);
  const url = new URL(PG_ADMIN);
  url.pathname = `/${database}`;
  const prefix = `colloquy-bench:${tag}:`;
  const env = {
    COLLOQUY_STORE: url.toString(),
    COLLOQUY_BUS: REDIS_URL,
    COLLOQUY_REDIS_PREFIX: prefix,
    COLLOQUY_SECRET: randomBytes(24).toString('hex'),
    COLLOQUY_PG_POOL_MAX: '10',
  };
  const nodes: Server[] = [];
  try {
    for (let i = 0; i < nodesOf(target); i++) nodes.push(await startServer(target, config, nodeFlags, { env, core: i }));
  } catch (err) {
    await Promise.all(nodes.map((n) => stopServer(n)));
    await cleanUp(database, prefix);
    throw err;
  }
  const first = nodes[0]!;
  const server: ClusterServer = {
    ...first,
    pids: nodes.map((n) => n.pid),
    urls: nodes.map((n) => n.url),
    serviceNames: SERVICE_NAMES,
    nodes,
    database,
    prefix,
    // Every node's last lines, for the report's "server said".
    get output() {
      return nodes.flatMap((n, i) => n.output.map((l) => (nodes.length > 1 ? `[node ${i + 1}] ${l}` : l)));
    },
  };
  return server;
}

async function cleanUp(database: string, prefix: string): Promise<void> {
  await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** SIGTERM every node (in parallel), then drop the database and the keys. */
export async function stopCluster(s: Server): Promise<number | null> {
  const c = s as ClusterServer;
  const codes = await Promise.all(c.nodes.map((n) => stopServer(n)));
  await cleanUp(c.database, c.prefix);
  return codes.find((code) => code !== 0) ?? codes[0] ?? null;
}
