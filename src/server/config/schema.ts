import { Type, type Static, type TSchema } from '@sinclair/typebox';

/**
 * THE configuration schema. Every setting has a default, an environment variable and a description;
 * `docs/config.md` is generated from this file. Precedence: default < config file `settings:` <
 * environment < command-line flag.
 */
const setting = <T extends TSchema>(schema: T, env: string, description: string) =>
  ({ ...schema, env, description }) as T & { env: string; description: string };

export const SettingsSchema = Type.Object(
  {
    port: setting(Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }), 'COLLOQUY_PORT', 'TCP port of the HTTP and WebSocket server (`--port`). 0 picks a free port.'),
    host: setting(Type.String({ minLength: 1, default: '127.0.0.1' }), 'COLLOQUY_HOST', 'Interface to listen on. Use `0.0.0.0` to accept connections from other machines.'),
    publicUrl: setting(Type.String({ default: '' }), 'COLLOQUY_PUBLIC_URL', 'Base URL clients reach this server at (e.g. `https://chat.example.com`); used to build WebSocket URLs. Empty: taken from each request\'s Host header.'),
    trustProxy: setting(Type.Boolean({ default: false }), 'COLLOQUY_TRUST_PROXY', 'Trust `X-Forwarded-*` headers from a reverse proxy (client address, protocol).'),
    dataDir: setting(Type.String({ minLength: 1, default: './data' }), 'COLLOQUY_DATA_DIR', 'Directory for all local state: the SQLite database and the generated server secret.'),
    store: setting(Type.String({ minLength: 1, default: 'sqlite' }), 'COLLOQUY_STORE', 'Conversation store: `sqlite` (a file in the data directory; one node), `postgres://user:password@host:5432/db` (PostgreSQL, shared by every node of a cluster) or `memory` (lost on exit; for tests).'),
    bus: setting(Type.String({ minLength: 1, default: 'memory' }), 'COLLOQUY_BUS', 'Coordination between nodes: `memory` (a single node) or `redis://host:6379` (Redis: fan-out, per-conversation ordering, tickets, rate limits, session timers for every node; needs a PostgreSQL store and `COLLOQUY_SECRET`). See docs/deploy.md.'),
    redisPrefix: setting(Type.String({ minLength: 1, default: 'colloquy:' }), 'COLLOQUY_REDIS_PREFIX', 'Prefix of every Redis key and channel, so several deployments can share one Redis.'),
    pgPoolMax: setting(Type.Integer({ minimum: 2, maximum: 200, default: 10 }), 'COLLOQUY_PG_POOL_MAX', 'PostgreSQL connections per node at most.'),
    lockLeaseMs: setting(Type.Integer({ minimum: 500, default: 5000 }), 'COLLOQUY_LOCK_LEASE_MS', 'Cluster: a conversation\'s lock is renewed while a turn runs and expires this long after its node stopped renewing it (it died); other nodes then take the conversation over.'),
    busHealSec: setting(Type.Integer({ minimum: 1, default: 5 }), 'COLLOQUY_BUS_HEAL_SEC', 'Cluster: how often a node compares its open conversations with the log, to deliver what pub/sub lost (e.g. the last message of a node that died).'),
    sqliteSynchronous: setting(Type.Union([Type.Literal('full'), Type.Literal('normal')], { default: 'full' }), 'COLLOQUY_SQLITE_SYNCHRONOUS', '`full`: a commit survives power loss. `normal`: it survives a crash of the process but not of the machine. Acks always wait for the commit.'),
    logLevel: setting(Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }), 'COLLOQUY_LOG_LEVEL', 'Log level (logs are JSON lines on standard output).'),
    warmupTurns: setting(Type.Integer({ minimum: 0, maximum: 100_000, default: 3000 }), 'COLLOQUY_WARMUP_TURNS', '`colloquy start` only: turns run through a scratch node of the built-in demo (its own temporary data directory, loopback sockets) before the port opens, so that the first seconds of heavy traffic are not answered by unoptimised code (about a second more at start). Nothing of your data or bots is used. 0: no warm-up.'),
    demo: setting(Type.Union([Type.Literal('auto'), Type.Literal('on'), Type.Literal('off')], { default: 'auto' }), 'COLLOQUY_DEMO', 'Demo mode: the demo page at `/` and a development JWT service. `auto`: on when no config file is used.'),
    demoBot: setting(Type.String({ default: '' }), 'COLLOQUY_DEMO_BOT', 'Bot definition folder the built-in demo configuration serves (try your own bot on the demo page without a config file). Empty: the bundled IT helpdesk, `bots/helpdesk`.'),
    corsOrigins: setting(Type.Array(Type.String({ minLength: 1 }), { default: [] }), 'COLLOQUY_CORS_ORIGINS', 'Origins allowed to call the HTTP API from a browser (comma-separated in the environment). `*` allows any origin; the built-in demo configuration uses it.'),
    secret: setting(Type.String({ default: '' }), 'COLLOQUY_SECRET', 'Secret that signs access tokens (32+ characters); all nodes of a cluster need the same one. Empty: generated once into the data directory.'),
    accessTokenTtlSec: setting(Type.Integer({ minimum: 60, default: 86_400 }), 'COLLOQUY_ACCESS_TOKEN_TTL', 'Lifetime of an access token from `jwtgrant`, in seconds.'),
    ticketTtlSec: setting(Type.Integer({ minimum: 1, maximum: 600, default: 30 }), 'COLLOQUY_TICKET_TTL', 'Lifetime of the one-time WebSocket URL from `rtm/start`, in seconds.'),
    sessionIdleTimeoutSec: setting(Type.Integer({ minimum: 1, default: 900 }), 'COLLOQUY_SESSION_IDLE_TIMEOUT', 'A conversation session ends after this many seconds without activity (`session_end`).'),
    welcomeFallbackMs: setting(Type.Integer({ minimum: 0, maximum: 10_000, default: 1000 }), 'COLLOQUY_WELCOME_FALLBACK_MS', 'A new window\'s welcome waits for its history request, at most this long.'),
    wsMaxPayloadBytes: setting(Type.Integer({ minimum: 256, default: 16_384 }), 'COLLOQUY_WS_MAX_PAYLOAD', 'Largest client frame accepted; larger ones close the connection with 1009.'),
    wsMaxBufferedBytes: setting(Type.Integer({ minimum: 4096, default: 1_048_576 }), 'COLLOQUY_WS_MAX_BUFFERED', 'Unsent bytes a connection may queue before it is closed as a slow consumer (4001).'),
    wsHeartbeatSec: setting(Type.Integer({ minimum: 1, default: 30 }), 'COLLOQUY_WS_HEARTBEAT', 'Interval of WebSocket protocol pings; a connection that misses one is closed.'),
    wsMaxViolations: setting(Type.Integer({ minimum: 0, default: 5 }), 'COLLOQUY_WS_MAX_VIOLATIONS', 'Malformed frames tolerated per minute (each gets an error frame) before closing with 1002.'),
    httpBodyLimitBytes: setting(Type.Integer({ minimum: 1024, default: 65_536 }), 'COLLOQUY_HTTP_BODY_LIMIT', 'Largest HTTP request body accepted (413 above).'),
    rateLimitBurst: setting(Type.Integer({ minimum: 1, default: 20 }), 'COLLOQUY_RATE_LIMIT_BURST', 'Messages a user may send to a bot in a burst.'),
    rateLimitPerSec: setting(Type.Number({ exclusiveMinimum: 0, default: 5 }), 'COLLOQUY_RATE_LIMIT_PER_SEC', 'Sustained messages per second per user and bot; above it the connection is closed with 1008.'),
    rateLimitPenaltySec: setting(Type.Integer({ minimum: 0, default: 60 }), 'COLLOQUY_RATE_LIMIT_PENALTY', 'After a rate-limit disconnect, new connections of that user are refused this many seconds.'),
    aiseraIdleTimeoutSec: setting(Type.Integer({ minimum: 1, default: 300 }), 'COLLOQUY_AISERA_IDLE_TIMEOUT', 'Aisera channels: a user session ends after this many seconds without activity (Aisera\'s `userSessionDuration`, 5 minutes); a channel may set its own `idleTimeoutSec`.'),
    aiseraUserTokenMaxTtlSec: setting(Type.Integer({ minimum: 60, maximum: 86_400, default: 3600 }), 'COLLOQUY_AISERA_USER_TOKEN_MAX_TTL', 'Aisera channels: longest lifetime of a user token minted with `POST /api/token`, in seconds.'),
    aiseraSocketIoPath: setting(Type.String({ pattern: '^/', default: '/socket.io' }), 'COLLOQUY_AISERA_SOCKETIO_PATH', 'Aisera channels: path of the Socket.IO v4 endpoint (the Socket.IO default). The raw WebSocket endpoint is `/api/ws`.'),
    aiseraMaxAuthFailures: setting(Type.Integer({ minimum: 1, default: 3 }), 'COLLOQUY_AISERA_MAX_AUTH_FAILURES', 'Aisera channels: consecutive requests with a bad token a connection may send before it is closed with 1008.'),
    handoffQueueTimeoutSec: setting(Type.Integer({ minimum: 0, default: 300 }), 'COLLOQUY_HANDOFF_QUEUE_TIMEOUT', 'Live-agent handoff: a user waits this many seconds for an agent, then the bot takes over again (`noAgentAvailable`, the bot\'s `noAgent` flow). 0: wait until the session ends.'),
    handoffUserIdleSec: setting(Type.Integer({ minimum: 0, default: 1800 }), 'COLLOQUY_HANDOFF_USER_IDLE', 'Live-agent handoff: an agent chat ends after this many seconds without a word from the user (`userIdle`). 0: never.'),
    handoffAgentIdleSec: setting(Type.Integer({ minimum: 0, default: 0 }), 'COLLOQUY_HANDOFF_AGENT_IDLE', 'Live-agent handoff: an agent chat ends after this many seconds without a word from the agent (`agentIdle`). 0: never.'),
    handoffUpdateEverySec: setting(Type.Integer({ minimum: 1, default: 10 }), 'COLLOQUY_HANDOFF_UPDATE_EVERY', 'Live-agent handoff: a waiting user is told a new queue position and estimated wait at most this often, in seconds.'),
    handoffWebhookUrl: setting(Type.String({ default: '' }), 'COLLOQUY_HANDOFF_WEBHOOK_URL', 'Live-agent handoff: an external contact centre\'s URL that hears of handoffs (queued, transferred, picked up, user messages, ended) as signed JSON POSTs (docs/protocols/aisera.md §4.5). Empty: off.'),
    handoffWebhookSecret: setting(Type.String({ default: '' }), 'COLLOQUY_HANDOFF_WEBHOOK_SECRET', 'Live-agent handoff: the key of the webhook\'s HMAC-SHA256 signature (`X-Colloquy-Signature`); 16+ characters, required with `handoffWebhookUrl`.'),
    agentTokenTtlSec: setting(Type.Integer({ minimum: 60, maximum: 7 * 86_400, default: 8 * 3600 }), 'COLLOQUY_AGENT_TOKEN_TTL', 'Agent console: lifetime of the token an agent gets by signing in, in seconds.'),
    knowledgeLlmUrl: setting(Type.String({ default: '' }), 'COLLOQUY_KB_LLM_URL', 'Knowledge answers: base URL of an OpenAI-compatible chat-completions endpoint (e.g. `https://llm.example.com/v1`; `/chat/completions` is appended). Empty: answers are extractive (the best passage, trimmed to the question), offline.'),
    knowledgeLlmModel: setting(Type.String({ default: '' }), 'COLLOQUY_KB_LLM_MODEL', 'Knowledge answers: the model name sent to the chat-completions endpoint.'),
    knowledgeLlmApiKey: setting(Type.String({ default: '' }), 'COLLOQUY_KB_LLM_API_KEY', 'Knowledge answers: the endpoint\'s API key, sent as `Authorization: Bearer`. Secret: never logged.'),
    knowledgeLlmTimeoutMs: setting(Type.Integer({ minimum: 100, default: 30_000 }), 'COLLOQUY_KB_LLM_TIMEOUT_MS', 'Knowledge answers: the whole generated answer must arrive within this time; otherwise (and on any failure of the endpoint) the extractive answer is given and the failure reported (Aisera `ExternalSystemError`).'),
    shutdownGraceMs: setting(Type.Integer({ minimum: 0, default: 10_000 }), 'COLLOQUY_SHUTDOWN_GRACE_MS', 'On SIGTERM/SIGINT: how long in-flight turns may finish before connections are closed with 1001.'),
  },
  { additionalProperties: false },
);

export type Settings = Static<typeof SettingsSchema>;

const Theme = Type.Record(Type.String(), Type.Unknown());

export const BotSchema = Type.Object(
  {
    id: Type.String({ pattern: '^st-[0-9a-zA-Z-]{1,64}$', description: 'Bot id, `st-…` (the Web SDK\'s `botInfo._id`).' }),
    name: Type.String({ minLength: 1, description: 'Bot name (the Web SDK\'s `botInfo.name`).' }),
    icon: Type.Optional(Type.String({ description: 'Avatar URL sent as `icon` on bot messages.' })),
    suspended: Type.Optional(Type.Boolean({ description: 'A suspended bot refuses connections (1008).' })),
    definition: Type.Optional(Type.String({ minLength: 1, description: 'Folder of the bot definition (YAML, see docs/dialog.md), relative to the config file. Default: the bundled IT helpdesk demo.' })),
    theme: Type.Optional(Theme),
  },
  { additionalProperties: false },
);

export const AppSchema = Type.Object(
  {
    clientId: Type.String({ minLength: 3, description: 'Client id (`cs-…`), the assertion\'s `iss`.' }),
    name: Type.Optional(Type.String()),
    clientSecret: Type.Optional(Type.String({ minLength: 16, description: 'Shared secret for HS256/HS512 assertions.' })),
    publicKey: Type.Optional(Type.String({ description: 'PEM public key for RS256/RS512 assertions.' })),
    algorithms: Type.Optional(Type.Array(Type.Union([Type.Literal('HS256'), Type.Literal('HS512'), Type.Literal('RS256'), Type.Literal('RS512')]), { minItems: 1 })),
    bots: Type.Array(Type.String(), { minItems: 1, description: 'Bot ids this app may talk to.' }),
  },
  { additionalProperties: false },
);

export const ChannelSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$', description: 'Channel id (the Aisera `channelId`), e.g. a UUID.' }),
    bot: Type.String({ description: 'The bot this channel talks to.' }),
    name: Type.Optional(Type.String()),
    key: Type.String({ minLength: 24, description: 'The channel key (server-to-server credential; keep it secret). `colloquy channel create` makes one.' }),
    origins: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Browser origins allowed to use the channel (`*`: any). Default: none (browsers refused).' })),
    idleTimeoutSec: Type.Optional(Type.Integer({ minimum: 1, description: 'Session idle timeout of this channel, seconds (default `aiseraIdleTimeoutSec`).' })),
  },
  { additionalProperties: false },
);

export const ConfigFileSchema = Type.Object(
  {
    settings: Type.Optional(Type.Partial(SettingsSchema)),
    bots: Type.Optional(Type.Array(BotSchema)),
    apps: Type.Optional(Type.Array(AppSchema)),
    channels: Type.Optional(Type.Array(ChannelSchema)),
  },
  { additionalProperties: false },
);

export type BotConfig = Static<typeof BotSchema>;
export type AppConfig = Static<typeof AppSchema>;
export type ChannelConfig = Static<typeof ChannelSchema>;
export type ConfigFile = Static<typeof ConfigFileSchema>;

export interface SettingMeta {
  readonly key: keyof Settings;
  readonly env: string;
  readonly description: string;
  readonly default: unknown;
  readonly type: string;
}

/** The settings table, in schema order, for docs and env parsing. */
export function settingsTable(): SettingMeta[] {
  return Object.entries(SettingsSchema.properties).map(([key, s]) => {
    const schema = s as TSchema & { env: string; description: string; default: unknown };
    const type =
      schema.type === 'array' ? 'list' : schema.anyOf ? (schema.anyOf as { const: string }[]).map((v) => `\`${v.const}\``).join(' \\| ') : String(schema.type);
    return { key: key as keyof Settings, env: schema.env, description: schema.description, default: schema.default, type };
  });
}
