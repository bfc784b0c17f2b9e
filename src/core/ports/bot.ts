import type { Content, ConversationRef, EventName, UserInput } from '../model.js';

export type BotTrigger =
  /** A new window opened (On-Connect): the bot may greet. */
  | { readonly type: 'connect' }
  | { readonly type: 'message'; readonly input: UserInput };

export interface BotTurnInput {
  readonly conversation: ConversationRef;
  readonly sessionId: string;
  readonly trigger: BotTrigger;
  /** The dialog state the bot returned last time (undefined at first). */
  readonly dialog: unknown;
}

export type BotOutput =
  | { readonly kind: 'message'; readonly content: Content }
  | { readonly kind: 'event'; readonly name: EventName };

export interface BotTurnOutput {
  readonly outputs: readonly BotOutput[];
  /** The new dialog state; return the input object unchanged when nothing changed. */
  readonly dialog: unknown;
}

/** Bot logic: the dialog engine, the built-in demo bot, or (later) a webhook bot. */
export interface BotEngine {
  turn(input: BotTurnInput): Promise<BotTurnOutput>;
  /**
   * True for bots whose turn is fast and has no effect beyond its result (no calls out). The core may then
   * run the turn before the user's message is stored and store message and answer in one commit; it may
   * also run it again if that commit has to be retried. Other bots run after the message is stored.
   */
  readonly inline?: boolean;
}
