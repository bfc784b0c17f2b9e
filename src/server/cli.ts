#!/usr/bin/env -S node --max-semi-space-size=64 --initial-old-space-size=256
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { mintDevJwt } from '../auth/dev-jwt.js';
import { newClientId, newSecret, userIdFor } from '../core/ids.js';
import type { JwtAlgorithm } from '../core/ports/directory.js';
import type { Tenancy } from '../core/ports/tenancy.js';
import { checkBotDefinition } from '../dialog/definition/load.js';
import { formatProblem } from '../dialog/definition/source.js';
import { aiseraIdentity } from '../protocols/aisera/handler.js';
import { chat } from './chat.js';
import { AGENT_USAGE, agentCommand, AgentUsageError } from './cli-agents.js';
import { ConfigError, loadConfig, type Config } from './config/load.js';
import { DEMO_CHANNEL_ID, DEMO_CHANNEL_KEY } from './demo.js';
import { channelKeyHash, ConfiguredDirectory } from './directory.js';
import { openTenancy } from './engines.js';
import { kbIngest, kbSearch } from './kb-cli.js';
import { startNode } from './node.js';
import { tuneRuntime } from './runtime.js';
import { warmUp } from './warmup.js';

const USAGE = `Usage: colloquy <command> [options]

Commands:
  start [--port N] [--config FILE] [--data-dir DIR]   run the server (the default command)
  bots [--json]                                        list the bots
  app create --bot ID [--name NAME] [--alg ALG] [--public-key FILE] [--json]
                                                       create SDK app credentials for a bot
                                                       (ALG: HS256 (default), HS512, RS256, RS512)
  app list [--json]                                    list SDK apps
  jwt --client-id ID --user IDENTITY [--expires SEC] [--private-key FILE]
                                                       mint a development JWT assertion for an app
  user block|unblock --bot ID --user IDENTITY [--channel ID]
                                                       stop (or allow again) a user talking to a bot
                                                       (with --channel: that Aisera channel's user id)
  bot suspend|resume ID                                suspend a bot (its users are disconnected) or resume it
  channel create --bot ID [--name NAME] [--origin ORIGIN]... [--idle-timeout SEC] [--json]
                                                       create an Aisera channel; prints its id and key (shown once)
  channel list [--json]                                list the Aisera channels
  chat --protocol aisera [--url URL] [--channel ID --key KEY] [--user ID]
                                                       talk to a running server's bot in the terminal
                                                       (default: the demo channel of http://127.0.0.1:3000)
  kb ingest [--bot ID|DIR|NAME] [--json]               index a bot's knowledge folder (Markdown, HTML, text) now
  kb search QUESTION [--bot ID|DIR|NAME] [--json]      the best passages for a question, and whether the bot answers it
${AGENT_USAGE}  validate DIR [--json]                                check a bot definition folder (or a folder of them);
                                                       problems are listed as file:line:col, exit code 1

Options common to all commands: --config FILE, --data-dir DIR (or COLLOQUY_CONFIG, COLLOQUY_DATA_DIR).
`;

const ALGS: readonly JwtAlgorithm[] = ['HS256', 'HS512', 'RS256', 'RS512'];

class UsageError extends Error {}

function load(values: Record<string, unknown>): Config {
  return loadConfig({
    env: process.env,
    flags: {
      ...(typeof values['config'] === 'string' ? { config: values['config'] } : {}),
      ...(typeof values['data-dir'] === 'string' ? { dataDir: values['data-dir'] } : {}),
      ...(typeof values['port'] === 'string' ? { port: Number(values['port']) } : {}),
    },
  });
}

/** Run `fn` on the tenancy the servers read: the SQLite file of the data directory, or PostgreSQL (`COLLOQUY_STORE`). */
async function withTenancy<T>(config: Config, fn: (t: Tenancy, dir: ConfiguredDirectory) => Promise<T>): Promise<T> {
  const { tenancy, close } = await openTenancy(config);
  try {
    return await fn(tenancy, new ConfiguredDirectory(config.bots, config.apps, tenancy, config.channels));
  } finally {
    await close();
  }
}

const print = (json: boolean, value: unknown, text: string) => console.log(json ? JSON.stringify(value, null, 2) : text);
const need = (v: unknown, flag: string): string => {
  if (typeof v !== 'string' || v.length === 0) throw new UsageError(`${flag} is required`);
  return v;
};

async function start(config: Config): Promise<void> {
  tuneRuntime();
  // (A failed warm-up only costs the first seconds' speed: the node starts anyway.)
  const warm = await warmUp(config.settings.warmupTurns).catch((err: unknown) => err as Error);
  const node = await startNode(config);
  if (warm instanceof Error) node.log.warn({ err: warm }, 'server.warmup_failed');
  else if (warm.turns > 0) node.log.info({ turns: warm.turns, ms: Math.round(warm.ms) }, 'server.warmed_up');
  console.log(`\nColloquy is serving ${node.url}${config.demo ? `  (demo page: ${node.url}/)` : ''}\n`);
  if (node.demoAgents.length > 0) {
    // Shown once, here only (never in the JSON logs): new passwords at every start.
    console.log(`Agent console: ${node.url}/agent — demo agents (queue it-support), passwords valid until the next start:`);
    for (const a of node.demoAgents) console.log(`  ${a.id.padEnd(6)} ${a.password}`);
    console.log('');
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    node.log.info({ signal }, 'server.signal');
    node.close().then(
      () => process.exit(0),
      (err: unknown) => {
        node.log.error({ err }, 'server.close_failed');
        process.exit(1);
      },
    );
  };
  // A bug that escapes every error boundary must not take the other conversations down with it.
  process.on('unhandledRejection', (err) => node.log.error({ err }, 'server.unhandled_rejection'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** `colloquy validate DIR`: one bot definition, or every bot definition folder directly inside DIR. */
function validate(dir: string, json: boolean): void {
  const root = resolve(dir);
  if (!existsSync(root)) throw new UsageError(`${dir} does not exist`);
  const dirs = existsSync(join(root, 'bot.yaml'))
    ? [root]
    : readdirSync(root, { withFileTypes: true })
        .filter((e) => e.isDirectory() && existsSync(join(root, e.name, 'bot.yaml')))
        .map((e) => join(root, e.name));
  if (dirs.length === 0) throw new UsageError(`${dir} has no bot.yaml, and no folder in it has one`);
  const results = dirs.map((d) => ({ dir: relative(process.cwd(), d) || '.', ...checkBotDefinition(d) }));
  const failed = results.some((r) => r.problems.length > 0);
  print(
    json,
    results.map((r) => ({ dir: r.dir, ok: r.problems.length === 0, problems: r.problems, ...(r.bot ? { stats: r.bot.stats } : {}) })),
    results
      .map((r) =>
        r.problems.length === 0 && r.bot
          ? `${r.dir}: OK (${r.bot.stats.flows} flows, ${r.bot.stats.intents} intents, ${r.bot.stats.examples} examples, ${r.bot.stats.nodes} nodes)`
          : `${r.dir}: ${r.problems.length} problem(s)\n${r.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`,
      )
      .join('\n'),
  );
  if (failed) process.exitCode = 1;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      json: { type: 'boolean', default: false },
      bot: { type: 'string' },
      name: { type: 'string' },
      alg: { type: 'string' },
      'public-key': { type: 'string' },
      'private-key': { type: 'string' },
      'client-id': { type: 'string' },
      user: { type: 'string' },
      expires: { type: 'string' },
      origin: { type: 'string', multiple: true },
      'idle-timeout': { type: 'string' },
      protocol: { type: 'string' },
      url: { type: 'string' },
      channel: { type: 'string' },
      key: { type: 'string' },
      queues: { type: 'string' },
      capacity: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command = 'start', sub, arg] = positionals;
  if (values.help || command === 'help') return void console.log(USAGE);
  const json = values.json;
  if (command === 'validate') return validate(need(sub, 'a bot definition folder'), json);
  if (command === 'chat') {
    if (values.protocol !== 'aisera') throw new UsageError('chat: --protocol aisera is the one supported so far');
    if ((values.channel === undefined) !== (values.key === undefined)) throw new UsageError('chat: give --channel and --key together (or neither, for the demo channel)');
    return chat({
      url: (values.url ?? 'http://127.0.0.1:3000').replace(/\/+$/, ''),
      channelId: values.channel ?? DEMO_CHANNEL_ID,
      channelKey: values.key ?? DEMO_CHANNEL_KEY,
      userId: values.user ?? `cli-${process.env['USER'] ?? 'user'}`,
    });
  }
  const config = load(values);

  switch (command) {
    case 'start':
      return start(config);
    case 'bots':
      return withTenancy(config, async (_t, dir) => {
        const bots = await dir.bots();
        print(json, bots, bots.map((b) => `${b.id}  ${b.name}${b.suspended ? '  (suspended)' : ''}`).join('\n') || '(no bots)');
      });
    case 'app':
      if (sub === 'list') {
        return withTenancy(config, async (_t, dir) => {
          const apps = (await dir.apps()).map(({ clientSecret: _s, publicKey: _k, ...a }) => a);
          print(json, apps, apps.map((a) => `${a.clientId}  ${a.name}  bots: ${a.botIds.join(', ')}`).join('\n') || '(no apps)');
        });
      }
      if (sub !== 'create') throw new UsageError('app: expected "create" or "list"');
      return withTenancy(config, async (tenancy, dir) => {
        const botId = need(values.bot, '--bot');
        if (!(await dir.bot(botId))) throw new UsageError(`no bot has the id ${botId} (see "colloquy bots")`);
        const alg = (values.alg ?? 'HS256').toUpperCase() as JwtAlgorithm;
        if (!ALGS.includes(alg)) throw new UsageError(`--alg must be one of ${ALGS.join(', ')}`);
        const rsa = alg.startsWith('RS');
        const publicKey = rsa ? readFileSync(need(values['public-key'], '--public-key (for RS algorithms)'), 'utf8') : undefined;
        const clientId = newClientId();
        const clientSecret = rsa ? undefined : newSecret(32);
        const name = values.name ?? `App for ${botId}`;
        await tenancy.createApp({ clientId, name, algorithms: [alg], botIds: [botId], ...(clientSecret ? { clientSecret } : {}), ...(publicKey ? { publicKey } : {}) }, Date.now());
        print(json, { clientId, ...(clientSecret ? { clientSecret } : {}), algorithm: alg, botId, name }, `clientId:     ${clientId}\n${clientSecret ? `clientSecret: ${clientSecret}\n` : ''}algorithm:    ${alg}\nbot:          ${botId}`);
      });
    case 'jwt':
      return withTenancy(config, async (_t, dir) => {
        const clientId = need(values['client-id'], '--client-id');
        const app = await dir.app(clientId);
        if (!app) throw new UsageError(`no SDK app has the client id ${clientId}`);
        const privateKey = values['private-key'] ? readFileSync(values['private-key'], 'utf8') : undefined;
        const jwt = await mintDevJwt({
          app,
          identity: need(values.user, '--user'),
          ...(values.expires ? { expiresInSec: Number(values.expires) } : {}),
          ...(privateKey ? { privateKey } : {}),
        });
        print(json, { jwt }, jwt);
      });
    case 'user':
      if (sub !== 'block' && sub !== 'unblock') throw new UsageError('user: expected "block" or "unblock"');
      return withTenancy(config, async (tenancy, dir) => {
        const botId = need(values.bot, '--bot');
        if (!(await dir.bot(botId))) throw new UsageError(`no bot has the id ${botId}`);
        const user = need(values.user, '--user');
        // An Aisera user is known per channel; a Kore user by the identity of the SDK's assertion.
        const identity = values.channel === undefined ? user : aiseraIdentity(values.channel, user);
        const userId = userIdFor(identity);
        if (sub === 'block') await tenancy.block(botId, userId, identity, Date.now());
        else await tenancy.unblock(botId, userId);
        print(json, { botId, userId, identity, blocked: sub === 'block' }, `${identity} (${userId}) is ${sub === 'block' ? 'blocked' : 'unblocked'} for ${botId}`);
      });
    case 'bot':
      if (sub !== 'suspend' && sub !== 'resume') throw new UsageError('bot: expected "suspend" or "resume"');
      return withTenancy(config, async (tenancy, dir) => {
        const botId = need(arg ?? values.bot, 'a bot id');
        if (!(await dir.bot(botId))) throw new UsageError(`no bot has the id ${botId}`);
        await tenancy.setSuspended(botId, sub === 'suspend');
        print(json, { botId, suspended: sub === 'suspend' }, `${botId} is ${sub === 'suspend' ? 'suspended' : 'active'}`);
      });
    case 'kb':
      if (sub === 'ingest') return kbIngest(config, values.bot, json);
      if (sub === 'search') return kbSearch(config, values.bot, need(arg, 'a question'), json);
      throw new UsageError('kb: expected "ingest" or "search"');
    case 'channel':
      if (sub === 'list') {
        return withTenancy(config, async (_t, dir) => {
          const channels = (await dir.channels()).map(({ keyHash: _k, ...c }) => c);
          print(json, channels, channels.map((c) => `${c.id}  ${c.name}  bot: ${c.botId}  origins: ${c.origins.join(', ') || '(none)'}`).join('\n') || '(no channels)');
        });
      }
      if (sub !== 'create') throw new UsageError('channel: expected "create" or "list"');
      return withTenancy(config, async (tenancy, dir) => {
        const botId = need(values.bot, '--bot');
        if (!(await dir.bot(botId))) throw new UsageError(`no bot has the id ${botId} (see "colloquy bots")`);
        const idle = values['idle-timeout'] === undefined ? undefined : Number(values['idle-timeout']);
        if (idle !== undefined && (!Number.isInteger(idle) || idle < 1)) throw new UsageError('--idle-timeout must be a whole number of seconds');
        const channelId = randomUUID();
        const channelKey = `ck_${newSecret(32)}`;
        const origins = values.origin ?? [];
        const name = values.name ?? `Aisera channel for ${botId}`;
        await tenancy.createChannel({ id: channelId, botId, name, keyHash: channelKeyHash(channelKey), origins, ...(idle !== undefined ? { idleTimeoutSec: idle } : {}) }, Date.now());
        print(json, { channelId, channelKey, botId, name, origins, ...(idle !== undefined ? { idleTimeoutSec: idle } : {}) }, `channelId:  ${channelId}\nchannelKey: ${channelKey}\nbot:        ${botId}\norigins:    ${origins.join(', ') || '(none: servers only)'}\n(the key is shown only now)`);
      });
    case 'agent': {
      const { desk, close } = await openTenancy(config);
      try {
        return await agentCommand(desk, sub, arg, { name: values.name, queues: values.queues, capacity: values.capacity, passwordStdin: values['password-stdin'], json });
      } catch (err) {
        throw err instanceof AgentUsageError ? new UsageError(err.message) : err;
      } finally {
        await close();
      }
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(err.message);
  else if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) console.error(`colloquy: ${(err as Error).message}\n\n${USAGE}`);
  else console.error(err);
  process.exit(err instanceof UsageError ? 2 : 1);
});
