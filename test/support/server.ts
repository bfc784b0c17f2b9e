import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import type { Clock } from '../../src/core/ports/clock.js';
import type { Bus } from '../../src/core/ports/bus.js';
import { loadConfig, type Config } from '../../src/server/config/load.js';
import type { Settings } from '../../src/server/config/schema.js';
import { startNode, type ColloquyNode } from '../../src/server/node.js';

export interface TestServer {
  readonly node: ColloquyNode;
  readonly url: string;
  readonly config: Config;
  readonly dataDir: string;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  readonly settings?: Partial<Settings>;
  readonly env?: Record<string, string>;
  /** A config file to use instead of the built-in demo configuration. */
  readonly configFile?: string;
  readonly clock?: Clock;
  readonly bus?: Bus;
  /** Reuse a data directory (e.g. to restart on the same database). */
  readonly dataDir?: string;
}

export const newDataDir = (): string => mkdtempSync(join(tmpdir(), 'colloquy-test-'));

/**
 * The bot test servers serve by default (as the built-in demo configuration's bot): the echo test bot,
 * whose every answer names the message it answers ("You said: …"), which the protocol tests rely on. The
 * real demo bot, the IT helpdesk, is `HELPDESK_BOT_DIR` (`demoBot: HELPDESK_BOT_DIR`).
 */
export const ECHO_BOT_DIR = fileURLToPath(new URL('../fixtures/bots/echo', import.meta.url));

/** Start a real node in this process on a free port (SQLite in a fresh temp dir unless told otherwise). */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? newDataDir();
  const config = loadConfig({
    env: { COLLOQUY_LOG_LEVEL: process.env['COLLOQUY_TEST_LOG'] ?? 'silent', ...options.env },
    flags: { port: 0, dataDir, demo: 'on', demoBot: ECHO_BOT_DIR, ...options.settings, ...(options.configFile ? { config: options.configFile } : {}) },
  });
  const log = pino({ level: config.settings.logLevel });
  const node = await startNode(config, { log, ...(options.clock ? { clock: options.clock } : {}), ...(options.bus ? { bus: options.bus } : {}) });
  return {
    node,
    url: node.url,
    config,
    dataDir,
    async stop() {
      await node.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
