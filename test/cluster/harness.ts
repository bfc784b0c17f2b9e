/**
 * A Colloquy cluster of real server processes (`node dist/server/cli.js start`) sharing one PostgreSQL
 * database (fresh, dropped at the end) and one Redis (own key prefix, deleted at the end), behind a
 * health-checking load balancer. Each node has its own data directory; they share COLLOQUY_SECRET, so an
 * access token from any node works on every node.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, ROOT, startServerProcess, type RunResult, type ServerProcess } from '../protocol/processes.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../support/redis.js';
import { Balancer } from './balancer.js';

export const BOT_ID = 'st-cluster-echo';
export const BOT_NAME = 'Cluster echo bot';
export const CLIENT_ID = 'cs-cluster-test';
export const CLIENT_SECRET = 'cluster-test-secret-0123456789abcdef';
export const LOGIN = { botId: BOT_ID, botName: BOT_NAME, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } as const;

/** The protocol tests' echo bot: "You said: <text>" for anything it does not recognise. */
const ECHO_BOT = join(ROOT, 'test', 'fixtures', 'bots', 'echo');

export interface ClusterNode {
  readonly index: number;
  readonly dataDir: string;
  process: ServerProcess;
  get url(): string;
}

export interface ClusterOptions {
  readonly nodes: number;
  /** More COLLOQUY_* settings for every node. */
  readonly env?: Record<string, string>;
}

export class Cluster {
  readonly nodes: ClusterNode[] = [];
  private constructor(
    readonly db: TestDatabase,
    readonly prefix: string,
    readonly balancer: Balancer,
    readonly env: Record<string, string>,
    private readonly root: string,
  ) {}

  static async start(options: ClusterOptions): Promise<Cluster> {
    const db = await createTestDatabase('cluster');
    const prefix = testPrefix('cluster');
    const root = mkdtempSync(join(tmpdir(), 'colloquy-cluster-'));
    const configFile = join(root, 'colloquy.yaml');
    writeFileSync(
      configFile,
      [
        'bots:',
        `  - id: ${BOT_ID}`,
        `    name: ${BOT_NAME}`,
        `    definition: ${JSON.stringify(ECHO_BOT)}`,
        'apps:',
        `  - clientId: ${CLIENT_ID}`,
        `    clientSecret: ${CLIENT_SECRET}`,
        `    bots: [${BOT_ID}]`,
        '',
      ].join('\n'),
    );
    const env: Record<string, string> = {
      COLLOQUY_CONFIG: configFile,
      COLLOQUY_STORE: db.url,
      COLLOQUY_BUS: REDIS_URL,
      COLLOQUY_REDIS_PREFIX: prefix,
      COLLOQUY_SECRET: randomBytes(24).toString('hex'),
      COLLOQUY_RATE_LIMIT_BURST: '1000000',
      COLLOQUY_RATE_LIMIT_PER_SEC: '1000000',
      COLLOQUY_LOCK_LEASE_MS: '2000',
      COLLOQUY_BUS_HEAL_SEC: '1',
      COLLOQUY_SHUTDOWN_GRACE_MS: '5000',
      COLLOQUY_PG_POOL_MAX: '5',
      ...options.env,
    };
    const balancer = await Balancer.start();
    const cluster = new Cluster(db, prefix, balancer, env, root);
    try {
      // The first node migrates the fresh database; the others start together after it.
      await cluster.add();
      await Promise.all(Array.from({ length: options.nodes - 1 }, () => cluster.add()));
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** Start one more node (a fresh data directory) and put it behind the balancer. */
  async add(): Promise<ClusterNode> {
    const index = this.nodes.length;
    const dataDir = mkdtempSync(join(this.root, `node-${index}-`));
    const node: ClusterNode = {
      index,
      dataDir,
      process: await startServerProcess(dataDir, this.env),
      get url() {
        return this.process.url;
      },
    };
    this.nodes.push(node);
    this.balancer.add(node.url);
    return node;
  }

  /** `kill -9`: the node is gone at once, with its sockets, locks and unsent publishes. */
  async kill(i: number): Promise<void> {
    const node = this.nodes[i]!;
    node.process.child.kill('SIGKILL');
    await node.process.exited;
    this.balancer.remove(node.url);
  }

  /** A rolling restart step: SIGTERM (graceful: drain, 1001, finish turns), then a new process on the same data directory. */
  async restart(i: number): Promise<{ code: number | null }> {
    const node = this.nodes[i]!;
    node.process.child.kill('SIGTERM');
    const exit = await node.process.exited;
    this.balancer.remove(node.url);
    node.process = await startServerProcess(node.dataDir, this.env);
    this.balancer.add(node.url);
    return { code: exit.code };
  }

  /** `colloquy <args>` with the cluster's configuration (the CLI writes tenancy to PostgreSQL). */
  cli(args: string[], stdin?: string): Promise<RunResult> {
    return cli(args, this.root, this.env, stdin);
  }

  output(): string {
    return this.nodes.map((n) => `--- node ${n.index} (${n.url})\n${n.process.output()}`).join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (n) => {
        if (n.process.child.exitCode !== null || n.process.child.signalCode !== null) return;
        n.process.child.kill('SIGTERM');
        const timer = setTimeout(() => n.process.child.kill('SIGKILL'), 8000);
        await n.process.exited;
        clearTimeout(timer);
      }),
    );
    await this.balancer.close();
    await this.db.drop();
    await deleteKeys(this.prefix);
    rmSync(this.root, { recursive: true, force: true });
  }
}
