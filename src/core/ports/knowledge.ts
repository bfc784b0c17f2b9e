import type { BotStream } from './bot.js';

/**
 * A bot's knowledge base, as the dialog engine sees it (implemented in src/knowledge). `ask` is synchronous:
 * the index is in memory, so an inline turn can tell at once whether the knowledge base can answer.
 */
export interface Knowledge {
  /** A streamed answer to the question, or `undefined` when nothing in the knowledge base is about it. */
  ask(question: string): BotStream | undefined;
}
