import type { BotEngine } from '../core/ports/bot.js';
import { DemoBot } from '../dialog/demo-bot.js';
import type { Config } from './config/load.js';

/** Which bot logic answers each bot of the configuration. */
export interface Bots {
  botFor(botId: string): BotEngine;
}

/** Every configured bot is answered by the built-in demo bot (until bot definitions exist). */
export function createBots(_config: Config): Bots {
  const demo = new DemoBot();
  return { botFor: () => demo };
}
