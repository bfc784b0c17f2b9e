import type { ClientContext, Content, ConversationRef, EventDetail, EventName, HandoffEndReason, StreamFinish, UserInput } from '../model.js';

export type BotTrigger =
  /** A new window opened (On-Connect): the bot may greet. */
  | { readonly type: 'connect' }
  | { readonly type: 'message'; readonly input: UserInput }
  /** A live-agent handoff ended and the bot owns the conversation again (e.g. offer a ticket when no agent came). */
  | { readonly type: 'handoff_ended'; readonly reason: HandoffEndReason };

export interface BotTurnInput {
  readonly conversation: ConversationRef;
  readonly sessionId: string;
  readonly trigger: BotTrigger;
  /** The dialog state the bot returned last time (undefined at first). */
  readonly dialog: unknown;
  /** The client the trigger came from (undefined when the protocol tells nothing). */
  readonly client?: ClientContext | undefined;
  /**
   * True when the turn runs before the user's message is stored (see {@link BotEngine.inline}): the bot must
   * not call out. A turn that needs to answers `{ defer: true }` and is run again, not inline.
   */
  readonly inline?: boolean | undefined;
}

export type BotOutput =
  | { readonly kind: 'message'; readonly content: Content }
  | { readonly kind: 'event'; readonly name: EventName; readonly detail?: EventDetail };

export interface BotTurnOutput {
  readonly outputs: readonly BotOutput[];
  /** The new dialog state; return the input object unchanged when nothing changed. */
  readonly dialog: unknown;
  /**
   * Only for an inline turn: this turn needs a call out. Outputs and dialog are ignored; the core stores the
   * user's message and runs the turn again without `inline`.
   */
  readonly defer?: true;
  /**
   * The answer is streamed (only from a turn that is not inline): the core stores the turn's outputs and opens
   * the stream, then runs it outside the conversation's lock (docs/architecture.md, *Streams*).
   */
  readonly stream?: BotStream;
}

/** What a running stream reports; the core coalesces deltas into chunk entries. */
export interface StreamProgress {
  status(status: 'generating'): void;
  delta(text: string): void;
  /** A service the stream depends on failed; the stream goes on with what it can (e.g. an extractive answer). */
  failed(service: NonNullable<EventDetail['service']>): void;
}

export interface StreamResult {
  readonly finishReason: Exclude<StreamFinish, 'aborted'>;
  /** The authoritative answer (text, citations), stored after the completion. */
  readonly outputs: readonly BotOutput[];
}

/** A streamed answer. `run` must stop soon after `signal` aborts (the user moved on); its result is then ignored. */
export interface BotStream {
  run(progress: StreamProgress, signal: AbortSignal): Promise<StreamResult>;
}

/** Bot logic: the dialog engine, or (later) a webhook bot. */
export interface BotEngine {
  turn(input: BotTurnInput): Promise<BotTurnOutput>;
  /**
   * True for bots whose turns are usually fast and have no effect beyond their result. The core then runs a
   * turn *before* the user's message is stored, with `inline: true`, and stores message and answer in one
   * commit; it may also run it again if that commit has to be retried. A turn that would call out (an HTTP
   * node) answers `{ defer: true }` instead: the message is then stored and acknowledged first and the turn
   * runs again, free to call out. Bots that are not inline always run after the message is stored.
   */
  readonly inline?: boolean;
}
