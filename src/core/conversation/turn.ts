import { CoreError } from '../errors.js';
import type { ClientContext, ConversationRef, ConversationState, Entry, NewEntry } from '../model.js';
import { markedEntry } from '../shapes.js';
import type { BotEngine, BotTrigger } from '../ports/bot.js';
import type { Clock } from '../ports/clock.js';
import type { DeskStore } from '../ports/desk-store.js';
import type { Hub } from '../fanout/hub.js';
import type { IdleTimersFactory } from '../ports/idle-timers.js';
import type { Logger } from '../ports/logger.js';
import type { Sequencer } from '../ports/sequencer.js';
import type { AppendResult, ConversationStore } from '../ports/store.js';

/* What the conversation service is given, what it is asked with, and what it answers. */

export interface ConversationDeps {
  readonly store: ConversationStore;
  readonly sequencer: Sequencer;
  readonly hub: Hub;
  /** The bot logic that answers a conversation of this bot. */
  readonly botFor: (botId: string) => BotEngine;
  readonly clock: Clock;
  readonly log: Logger;
  /** The live-agent desk's index, kept in line with every handoff change (absent: no desk, e.g. unit tests). */
  readonly desk?: DeskStore;
  /**
   * Told of every commit on this node, after it is stored (e.g. the contact-centre connector webhook). Must
   * return at once and never throw: it is called inside the conversation's turn.
   */
  readonly committed?: (conversation: ConversationRef, entries: readonly Entry[], state: ConversationState | undefined) => void;
  /** Where session idle timers live; default: this process (`SessionTimers`). A cluster shares them. */
  readonly idleTimers?: IdleTimersFactory;
}

export interface ConversationSettings {
  /** A session ends after this long without any entry. */
  readonly idleTimeoutMs: number;
  /** A conversation's own idle timeout (e.g. its channel's), when it has one; else `idleTimeoutMs`. */
  readonly idleTimeoutFor?: (conversation: ConversationRef) => number | undefined;
  /** The queue of a handoff whose bot named none. Default `default`. */
  readonly defaultQueue?: string;
}

/**
 * A change planned against the state read under the conversation's lock: entries to append, the new state
 * (`undefined`: unchanged), what to return, and optionally a bot turn to run after it (in the same lock).
 */
export interface Change<T> {
  readonly entries: readonly NewEntry[];
  readonly value?: ConversationState;
  readonly result: T;
  readonly then?: BotTrigger;
  /** An entry's origin was already stored (a re-sent message): what to return instead of writing. */
  readonly duplicate?: (seq: number) => T;
}

/** Who is acting: the conversation and the device (page/app session) the command came from. */
export interface TurnContext {
  readonly conversation: ConversationRef;
  readonly deviceId: string;
  /** What the client can render and told about the session; handed to the bot, never stored. */
  readonly client?: ClientContext;
  /** The client request this turn answers: its entries carry the id, the last one `last` (see RequestMark). */
  readonly request?: { readonly id: string | number };
}

/** Mark the entries a request caused: each carries its id, the last one `last`. */
export function markRequest(entries: readonly NewEntry[], request: { readonly id: string | number } | undefined, last: boolean): NewEntry[] {
  if (!request) return entries as NewEntry[];
  const mark = { id: request.id };
  const lastMark = last ? { id: request.id, last: true as const } : mark;
  const marked = new Array<NewEntry>(entries.length);
  for (let i = 0; i < entries.length; i++) marked[i] = markedEntry(entries[i]!, i === entries.length - 1 ? lastMark : mark);
  return marked;
}

export interface Accepted {
  /** The seq of the stored user message (the original one when this was a duplicate). */
  readonly seq: number;
  readonly duplicate: boolean;
}

export interface Opened {
  readonly sessionId: string;
  /** The log head before this connection's session events: resume after it. */
  readonly headSeq: number;
}

/**
 * A user message's append that wrote nothing: a duplicate (the device sent it again) is acknowledged with the
 * stored message's seq — true, the turn is over; a lost fence throws; a version conflict is false (retry).
 */
export function refused(result: Extract<AppendResult, { ok: false }>, onAccepted: (a: Accepted) => void): boolean {
  if (result.reason === 'duplicate') {
    onAccepted({ seq: result.seq, duplicate: true });
    return true;
  }
  if (result.reason === 'fenced') throw new CoreError('FENCED');
  return false;
}
