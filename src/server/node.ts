import type { Logger as PinoLogger } from 'pino';
import { AccessTokens } from '../auth/access-token.js';
import { AgentTokens } from '../auth/agent-token.js';
import { AssertionVerifier } from '../auth/assertion.js';
import { Gate } from '../auth/gate.js';
import { Tickets } from '../auth/tickets.js';
import { ConversationService } from '../core/conversation/service.js';
import { Hub } from '../core/fanout/hub.js';
import { HandoffDesk } from '../core/handoff/desk.js';
import { newSecret } from '../core/ids.js';
import { systemClock } from '../core/memory/clock.js';
import { MemoryRateLimiter } from '../core/memory/rate-limiter.js';
import type { Bus } from '../core/ports/bus.js';
import type { Clock } from '../core/ports/clock.js';
import { serveAgentConsole } from '../gateway/agent-console.js';
import { registerDemo } from '../gateway/demo.js';
import { buildHttp, originPolicy } from '../gateway/http.js';
import { Metrics } from '../gateway/metrics.js';
import { SocketGateway } from '../gateway/websocket.js';
import { SocketIoGateway } from '../gateway/socketio.js';
import { AiseraHandler, IdleByConversation, SURVEY_FLOW, type AiseraRuntime } from '../protocols/aisera/handler.js';
import { aiseraRoutes } from '../protocols/aisera/http.js';
import { aiseraConnector, aiseraSocketRoute } from '../protocols/aisera/socket.js';
import { AiseraTokens } from '../protocols/aisera/tokens.js';
import { ClusterWelcomes } from '../protocols/kore/cluster-welcomes.js';
import { koreTurnContext, type KoreConnection } from '../protocols/kore/connection.js';
import { koreRoutes } from '../protocols/kore/http.js';
import { KoreConnections } from '../protocols/kore/registry.js';
import { koreSocketRoute } from '../protocols/kore/socket.js';
import { WelcomeGate } from '../protocols/kore/welcomes.js';
import { Board } from '../protocols/native/board.js';
import { agentRoutes } from '../protocols/native/http.js';
import { DEFAULT_NATIVE_SETTINGS, type NativeRuntime } from '../protocols/native/runtime.js';
import { agentSocketRoute } from '../protocols/native/socket.js';
import type { Config } from './config/load.js';
import { helpdeskRoutes, helpdeskToken } from '../helpdesk/tickets.js';
import { openHelpdeskTickets } from './helpdesk.js';
import { createBots } from './bots.js';
import { openKnowledge, type OpenedKnowledge } from './knowledge.js';
import { createEngines, redactUrl } from './engines.js';
import { ConfiguredDirectory } from './directory.js';
import { createLogger } from './logger.js';
import { HandoffWebhook } from '../webhooks/handoff-connector.js';
import { ensureDemoAgents, type DemoAgentSignIn } from './demo-agents.js';
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
  /** Demo mode: the demo agents' sign-in, with passwords generated at this start (shown once by `colloquy start`). */
  readonly demoAgents: readonly DemoAgentSignIn[];
  /** Graceful shutdown: refuse new work, let turns finish, close sockets with 1001, flush the store. */
  close(): Promise<void>;
}

/** The composition root: build every component from the configuration and start serving. */
export async function startNode(config: Config, options: NodeOptions = {}): Promise<ColloquyNode> {
  const s = config.settings;
  if (s.handoffWebhookUrl && s.handoffWebhookSecret.length < 16) throw new Error('handoffWebhookUrl needs a handoffWebhookSecret of 16 or more characters (COLLOQUY_HANDOFF_WEBHOOK_SECRET)');
  const log = options.log ?? createLogger(s.logLevel);
  const clock = options.clock ?? systemClock;
  const nodeId = `n-${newSecret(6)}`;
  const metrics = new Metrics();
  const secret = serverSecret(s.secret, s.dataDir);
  // Bot definitions first: an invalid one stops the start before anything is opened.
  let selfUrl = '';
  const knowledge: OpenedKnowledge[] = [];
  const knowledgeFor = (dir: string) => {
    const opened = openKnowledge(dir, s, log);
    if (opened) knowledge.push(opened);
    return opened?.kb;
  };
  const bots = createBots(config, { clock, log, secrets: { HELPDESK_TOKEN: helpdeskToken(secret) }, serverUrl: () => selfUrl, knowledgeFor });
  const engines = await createEngines(config, { clock, metrics, log, node: nodeId, ...(options.bus ? { bus: options.bus } : {}) });
  const { store, tenancy, bus, sequencer, ephemeral } = engines;
  const directory = new ConfiguredDirectory(config.bots, config.apps, tenancy, config.channels);
  const hub = new Hub(nodeId, store, bus, log);
  // The contact-centre connector webhook: handoff events of the commits made on this node.
  const webhook = s.handoffWebhookUrl
    ? new HandoffWebhook({ url: s.handoffWebhookUrl, secret: s.handoffWebhookSecret, log: log.child({ room: 'webhook' }) })
    : undefined;
  // Aisera conversations end after their channel's idle timeout (learned when a request names the channel).
  const aiseraIdle = new IdleByConversation();
  const conversations = new ConversationService(
    { store, sequencer, hub, botFor: (botId) => bots.botFor(botId), clock, log, desk: engines.desk, ...(webhook ? { committed: webhook.committed } : {}), ...(engines.idleTimers ? { idleTimers: engines.idleTimers } : {}) },
    { idleTimeoutMs: s.sessionIdleTimeoutSec * 1000, idleTimeoutFor: (conv) => aiseraIdle.get(conv.id) },
  );
  // The live-agent desk: agents act on handed-off conversations; every node sweeps for timeouts and queue places.
  const desk = new HandoffDesk(
    { service: conversations, store, desk: engines.desk, clock, log: log.child({ room: 'desk' }) },
    {
      timeouts: { queueMs: s.handoffQueueTimeoutSec * 1000, userIdleMs: s.handoffUserIdleSec * 1000, agentIdleMs: s.handoffAgentIdleSec * 1000 },
      updateEveryMs: s.handoffUpdateEverySec * 1000,
    },
  );
  const gate = new Gate(directory, ephemeral, engines.rateLimiter, clock, {
    penaltyMs: s.rateLimitPenaltySec * 1000,
    cacheMs: 60_000,
  });
  const tokens = new AccessTokens(secret, s.accessTokenTtlSec * 1000, clock);
  // The demo helpdesk's ticket service (an "external system" the bot calls over HTTP; src/helpdesk).
  const helpdesk = await openHelpdeskTickets(s, log).catch(async (err: unknown) => {
    await engines.close();
    throw err;
  });
  const tickets = new Tickets(ephemeral, s.ticketTtlSec * 1000);
  // In a cluster a window's history request may reach another node than its socket: the welcome is shared.
  const welcomes = engines.clustered
    ? new ClusterWelcomes(ephemeral, clock, s.welcomeFallbackMs, (claims) => conversations.welcome(koreTurnContext(claims)), log)
    : new WelcomeGate(clock, s.welcomeFallbackMs);
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
    // A clustered node saves its devices' cursors while they are connected: if it dies, they resume elsewhere.
    settings: { maxViolations: s.wsMaxViolations, cursorTtlMs: s.accessTokenTtlSec * 1000, cursorEveryMs: engines.clustered ? 1000 : 0 },
  };
  const aiseraRuntime: AiseraRuntime = {
    conversations,
    hub,
    store,
    directory,
    gate,
    tokens: new AiseraTokens(secret, clock),
    clock,
    log: log.child({ protocol: 'aisera' }),
    idle: aiseraIdle,
    hasSurvey: (botId) => bots.hasFlow(botId, SURVEY_FLOW),
    desk,
    agentAccount: (id) => engines.desk.agent(id),
    settings: { idleTimeoutMs: s.aiseraIdleTimeoutSec * 1000, maxAuthFailures: s.aiseraMaxAuthFailures },
  };
  const aisera = new AiseraHandler(aiseraRuntime);
  // The agent console: the native protocol over WebSocket, its sign-in routes, and the page at /agent.
  const nativeRuntime: NativeRuntime = {
    desk,
    accounts: engines.desk,
    presence: engines.presence,
    hub,
    store,
    clock,
    log: log.child({ protocol: 'native' }),
    node: nodeId,
    settings: { ...DEFAULT_NATIVE_SETTINGS, maxViolations: s.wsMaxViolations },
  };
  const board = new Board(nativeRuntime);
  const agentTokens = new AgentTokens(secret, s.agentTokenTtlSec * 1000, clock);
  // Sign-in attempts per agent id: 5 at once, then one every 5 s (per node).
  const signIns = new MemoryRateLimiter(5, 0.2, clock);
  const sockets = new SocketGateway(
    [koreSocketRoute(tickets, directory, koreRuntime), aiseraSocketRoute(aiseraRuntime, aisera), agentSocketRoute(tickets, nativeRuntime, board)],
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
      beforeHistory: (claims) => (welcomes instanceof ClusterWelcomes ? welcomes.release(claims) : welcomes.release(claims.deviceId)),
    })
      .concat(aiseraRoutes(aiseraRuntime, aisera, s.aiseraUserTokenMaxTtlSec))
      .concat(helpdeskRoutes(helpdesk.store, helpdeskToken(secret), clock))
      .concat(agentRoutes({ accounts: engines.desk, tokens: agentTokens, tickets, signIns, log: nativeRuntime.log })),
    metrics,
    log,
    health: () => ({ ok: !draining, node: nodeId, connections: sockets.size + socketIo.size, engines: engines.health() }),
  });
  await serveAgentConsole(app);
  const demoAgents = config.demo ? await ensureDemoAgents(engines.desk, clock) : [];
  if (demoAgents.length > 0) log.info({ agents: demoAgents.map((a) => a.id), queue: 'it-support' }, 'demo.agents');
  if (config.demo) {
    const bot = config.bots[0];
    const demoApp = config.apps.find((a) => a.clientSecret && bot && a.bots.includes(bot.id));
    if (bot && demoApp) {
      await registerDemo(app, directory, () => ({ botId: bot.id, botName: bot.name, clientId: demoApp.clientId, clientSecret: demoApp.clientSecret! }));
    } else {
      log.warn('demo mode needs a bot and an app with a clientSecret bound to it; the demo page is off');
    }
  }
  // Socket.IO answers its own path (polling requests and upgrades); every other upgrade is the WebSocket gateway's.
  const sioPath = s.aiseraSocketIoPath.replace(/\/+$/, '');
  const socketIo = new SocketIoGateway(
    app.server,
    { path: sioPath, maxPayloadBytes: s.wsMaxPayloadBytes, maxQueuedFrames: 1000 },
    'aisera',
    aiseraConnector(aiseraRuntime, aisera),
    metrics,
    log,
  );
  app.server.on('upgrade', (req, socket, head) => {
    if (req.url === sioPath || req.url?.startsWith(`${sioPath}/`) || req.url?.startsWith(`${sioPath}?`)) return;
    sockets.handleUpgrade(req, socket, head);
  });
  await app.listen({ port: s.port, host: s.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : s.port;
  const url = `http://${s.host.includes(':') ? `[${s.host}]` : s.host}:${port}`;
  // Bots call this server's own services on the loopback when it listens on every interface.
  selfUrl = s.host === '0.0.0.0' ? `http://127.0.0.1:${port}` : s.host === '::' ? `http://[::1]:${port}` : url;
  log.info({ url, node: nodeId, store: redactUrl(s.store), bus: redactUrl(s.bus), dataDir: s.dataDir, config: config.file ?? 'built-in demo', demo: config.demo }, 'server.started');

  // Blocks, suspensions and apps changed by the CLI apply to live connections within a second.
  let revision = await directory.revision();
  const watch = setInterval(() => {
    directory
      .revision()
      .then(async (r) => {
        if (r === revision) return;
        revision = r;
        gate.forget();
        aisera.forget();
        await koreRuntime.connections.recheckAll();
      })
      .catch((err: unknown) => log.warn({ err }, 'tenancy.watch_failed'));
  }, 1000);
  watch.unref();
  // Cluster: pub/sub may lose the last message of a conversation (a node died between append and publish);
  // no later entry would reveal the gap, so every open conversation is compared with the log now and then.
  const heal = bus.localOnly
    ? undefined
    : setInterval(() => void hub.heal().catch((err: unknown) => log.warn({ err }, 'fanout.heal_failed')), s.busHealSec * 1000);
  heal?.unref();
  let sweeping = false;
  const sweep = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    desk
      .sweep()
      .catch((err: unknown) => log.warn({ err }, 'handoff.sweep_failed'))
      .finally(() => (sweeping = false));
  }, 1000);
  sweep.unref();

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    draining = true;
    clearInterval(watch);
    clearInterval(sweep);
    aisera.stop();
    board.close();
    if (heal) clearInterval(heal);
    sockets.drain();
    log.info('server.draining');
    app.server.close();
    // Answers being streamed stop (their markers stay; the next turn of each conversation closes it).
    conversations.streams.stopAll();
    for (const k of knowledge) k.close();
    // Turns under way finish (their acks go out), then sockets close with 1001 (clients reconnect to another
    // node), then the turns that frames raced into before the close finish too; only then is the cluster left.
    const turnsDone = async () => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([sequencer.close(), new Promise((r) => (timer = setTimeout(r, s.shutdownGraceMs)))]);
      clearTimeout(timer);
    };
    await turnsDone();
    await Promise.all([socketIo.closeAll(Math.min(2000, s.shutdownGraceMs)), sockets.closeAll(Math.min(2000, s.shutdownGraceMs))]);
    await turnsDone();
    conversations.stop();
    await webhook?.close();
    await app.close();
    await engines.close();
    await helpdesk.close();
    log.info('server.stopped');
  };
  return {
    id: nodeId,
    url,
    port,
    log,
    demoAgents,
    close: () => (closing ??= close()),
  };
}
