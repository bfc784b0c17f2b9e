import type { BotEngine } from '../core/ports/bot.js';
import type { Clock } from '../core/ports/clock.js';
import type { Knowledge } from '../core/ports/knowledge.js';
import type { Logger } from '../core/ports/logger.js';
import type { CompiledBot } from '../dialog/definition/compiled.js';
import { checkBotDefinition } from '../dialog/definition/load.js';
import { formatProblem } from '../dialog/definition/source.js';
import { DialogEngine } from '../dialog/engine.js';
import type { ServiceCaller } from '../dialog/flow/turn.js';
import { ConfigError, type Config } from './config/load.js';

/** Which bot logic answers each bot of the configuration. */
export interface Bots {
  botFor(botId: string): BotEngine;
  /** Does the bot's definition have this flow? */
  hasFlow(botId: string, flowId: string): boolean;
}

export interface BotDeps {
  readonly clock: Clock;
  readonly log: Logger;
  /** Secrets the server itself provides to bot definitions (next to `COLLOQUY_BOT_SECRET_*`). */
  readonly secrets?: Readonly<Record<string, string>>;
  /** The URL at which bots reach this server's own services (`{{system.serverUrl}}`); known once it listens. */
  readonly serverUrl: () => string;
  /** How HTTP nodes call out (tests may count calls); default `fetch`. */
  readonly http?: ServiceCaller;
  /** The knowledge base of a bot definition folder, if it has one. */
  readonly knowledgeFor?: (definitionDir: string) => Knowledge | undefined;
}

/**
 * Every configured bot runs its YAML definition on the dialog engine. Definitions are loaded and checked
 * once, at start: an invalid one stops the server with every problem listed as `file:line:col`.
 */
export function createBots(config: Config, deps: BotDeps): Bots {
  const compiled = new Map<string, CompiledBot>();
  const problems: string[] = [];
  for (const b of config.bots) {
    const dir = b.definition!;
    if (compiled.has(dir)) continue;
    const checked = checkBotDefinition(dir);
    if (checked.bot) compiled.set(dir, checked.bot);
    problems.push(...checked.problems.map((p) => `bot ${b.id}: ${formatProblem(p)}`));
  }
  const secrets = { ...config.botSecrets, ...deps.secrets };
  for (const [dir, bot] of compiled) {
    for (const name of bot.secrets) if (secrets[name] === undefined) problems.push(`${dir}: the bot needs the secret ${name}; set COLLOQUY_BOT_SECRET_${name}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const engines = new Map<string, DialogEngine>();
  const knowledge = new Map<string, Knowledge | undefined>();
  for (const b of config.bots) {
    const bot = compiled.get(b.definition!)!;
    if (!knowledge.has(b.definition!)) knowledge.set(b.definition!, deps.knowledgeFor?.(b.definition!));
    const kb = knowledge.get(b.definition!);
    const mine = Object.fromEntries(bot.secrets.map((n) => [n, secrets[n]!]));
    engines.set(
      b.id,
      new DialogEngine(bot, {
        clock: deps.clock,
        log: deps.log.child({ bot: b.id }),
        secrets: mine,
        constants: () => ({ serverUrl: deps.serverUrl() }),
        ...(deps.http ? { http: deps.http } : {}),
        ...(kb ? { knowledge: kb } : {}),
      }),
    );
  }
  return {
    botFor: (botId) => {
      const engine = engines.get(botId);
      if (!engine) throw new Error(`no bot ${botId} is configured`);
      return engine;
    },
    hasFlow: (botId, flowId) => engines.get(botId)?.bot.flows.has(flowId) ?? false,
  };
}
