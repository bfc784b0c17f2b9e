import type { Logger as PinoLogger } from 'pino';
import { AccessTokens } from '../auth/access-token.js';
import { AssertionVerifier } from '../auth/assertion.js';
import { Gate } from '../auth/gate.js';
import { Tickets } from '../auth/tickets.js';
import { ConversationService } from '../core/conversation/service.js';
import { Hub } from '../core/fanout/hub.js';
import { newSecret } from '../core/ids.js';
import { systemClock } from '../core/memory/clock.js';
import type { Bus } from '../core/ports/bus.js';
import type { Clock } from '../core/ports/clock.js';
import { registerDemo } from '../gateway/demo.js';
import { buildHttp, originPolicy } from '../gateway/http.js';
import { Metrics } from '../gateway/metrics.js';
import { SocketGateway } from '../gateway/websocket.js';
import type { KoreConnection } from '../protocols/kore/connection.js';
import { koreRoutes } from '../protocols/kore/http.js';
import { KoreConnections } from '../protocols/kore/registry.js';
import { koreSocketRoute } from '../protocols/kore/socket.js';
import { WelcomeGate } from '../protocols/kore/welcomes.js';
import type { Config } from './config/load.js';
import { createBots } from './bots.js';
import { createEngines } from './engines.js';
import { ConfiguredDirectory } from './directory.js';
import { createLogger } from './logger.js';
import { serverSecret } from './secret.js';

export interface NodeOptions {
  readonly log?: PinoLogger;
  readonly clock?: Clock;
  /** Share one bus between several nodes of one process (cluster tests). */
  readonly bus?: Bus;
}

export interface ColloquyNode {
  readonly id: string;
  /** `http://host:port` the node listens on. */
  readonly url: string;
  readonly port: number;
  readonly log: PinoLogger;
  /** Graceful shutdown: refuse new work, let turns finish, close sockets with 1001, flush the store. */
  close(): Promise<void>;
}

/** The composition root: build every component from the configuration and start serving. */
export async function startNode(config: Config, options: NodeOptions = {}): Promise<ColloquyNode> {
  const s = config.settings;
  const log = options.log ?? createLogger(s.logLevel);
  const clock = options.clock ?? systemClock;
  const nodeId = `n-${newSecret(6)}`;
  const metrics = new Metrics();
  const engines = createEngines(config, { clock, metrics, ...(options.bus ? { bus: options.bus } : {}) });
  const { store, tenancy, bus, sequencer, ephemeral } = engines;
  const directory = new ConfiguredDirectory(config.bots, config.apps, tenancy);
  const hub = new Hub(nodeId, store, bus, log);
  const bots = createBots(config);
  const conversations = new ConversationService(
    { store, sequencer, hub, botFor: (botId) => bots.botFor(botId), clock, log },
    { idleTimeoutMs: s.sessionIdleTimeoutSec * 1000 },
  );
  const gate = new Gate(directory, ephemeral, engines.rateLimiter, clock, {
    penaltyMs: s.rateLimitPenaltySec * 1000,
    cacheMs: 60_000,
  });
  const tokens = new AccessTokens(serverSecret(s.secret, s.dataDir), s.accessTokenTtlSec * 1000, clock);
  const tickets = new Tickets(ephemeral, s.ticketTtlSec * 1000);
  const welcomes = new WelcomeGate(clock, s.welcomeFallbackMs);
  const originAllowed = originPolicy(s.corsOrigins);

  const koreRuntime = {
    conversations,
    hub,
    gate,
    cursors: ephemeral,
    welcomes,
    connections: new KoreConnections<KoreConnection>(),
    clock,
    log,
    settings: { maxViolations: s.wsMaxViolations, cursorTtlMs: s.accessTokenTtlSec * 1000 },
  };
  const sockets = new SocketGateway(
    [koreSocketRoute(tickets, directory, koreRuntime)],
    {
      maxPayloadBytes: s.wsMaxPayloadBytes,
      maxBufferedBytes: s.wsMaxBufferedBytes,
      heartbeatMs: s.wsHeartbeatSec * 1000,
      publicUrl: s.publicUrl.replace(/\/+$/, ''),
      originAllowed,
    },
    metrics,
    log,
  );
  let draining = false;
  const app = await buildHttp({
    settings: { bodyLimit: s.httpBodyLimitBytes, trustProxy: s.trustProxy, publicUrl: s.publicUrl, originAllowed },
    apiRoutes: koreRoutes({
      verifier: new AssertionVerifier(directory, ephemeral, clock),
      tokens,
      tickets,
      directory,
      gate,
      store,
      clock,
      log,
      beforeHistory: (deviceId) => welcomes.release(deviceId),
    }),
    metrics,
    log,
    health: () => ({ ok: !draining, node: nodeId, connections: sockets.size }),
  });
  if (config.demo) {
    const bot = config.bots[0];
    const demoApp = config.apps.find((a) => a.clientSecret && bot && a.bots.includes(bot.id));
    if (bot && demoApp) {
      await registerDemo(app, directory, () => ({ botId: bot.id, botName: bot.name, clientId: demoApp.clientId, clientSecret: demoApp.clientSecret! }));
    } else {
      log.warn('demo mode needs a bot and an app with a clientSecret bound to it; the demo page is off');
    }
  }
  app.server.on('upgrade', (req, socket, head) => sockets.handleUpgrade(req, socket, head));
  await app.listen({ port: s.port, host: s.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : s.port;
  const url = `http://${s.host.includes(':') ? `[${s.host}]` : s.host}:${port}`;
  log.info({ url, node: nodeId, store: s.store, dataDir: s.dataDir, config: config.file ?? 'built-in demo', demo: config.demo }, 'server.started');

  // Blocks, suspensions and apps changed by the CLI apply to live connections within a second.
  let revision = await directory.revision();
  const watch = setInterval(() => {
    directory
      .revision()
      .then(async (r) => {
        if (r === revision) return;
        revision = r;
        gate.forget();
        await koreRuntime.connections.recheckAll();
      })
      .catch((err: unknown) => log.warn({ err }, 'tenancy.watch_failed'));
  }, 1000);
  watch.unref();

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    draining = true;
    clearInterval(watch);
    sockets.drain();
    log.info('server.draining');
    app.server.close();
    const turnsDone = sequencer.close();
    await Promise.race([turnsDone, new Promise((r) => setTimeout(r, s.shutdownGraceMs))]);
    await sockets.closeAll(Math.min(2000, s.shutdownGraceMs));
    conversations.stop();
    await app.close();
    await engines.close();
    log.info('server.stopped');
  };
  return {
    id: nodeId,
    url,
    port,
    log,
    close: () => (closing ??= close()),
  };
}
