import type { ConversationRef } from '../model.js';

/**
 * Session idle timers. A timer only *asks* for a session to be ended: the conversation service re-checks
 * the log under the conversation's lock, so a timer that fires early, late or twice is harmless.
 *
 * The local implementation (`core/conversation/timers.ts`) keeps one timer per conversation in this
 * process; a shared one (Redis) keeps them where every node can see them, so a session still ends when the
 * node that started it is gone. Guarantees (checked by `core/testing/idle-timers-suite`): a touched
 * conversation is handed to one `onIdle` about `delayMs` after its last touch, once; `forget` cancels.
 */
export interface IdleTimers {
  /** Activity in a session: (re)start its idle countdown, `delayMs` from now (default: the idle timeout). */
  touch(conversation: ConversationRef, sessionId: string, delayMs?: number): void;
  forget(conversationId: string): void;
  /** Stop firing on this node (shutdown); shared timers stay for the other nodes. */
  stop(): void;
  /** Timers this node knows of (metrics). */
  readonly size: number;
}

/**
 * `onIdle` settles once the session was handled: ended, found active (and touched again), or gone. A
 * rejection means "could not tell" — a shared implementation then offers the timer again later.
 */
export type IdleHandler = (conversation: ConversationRef, sessionId: string) => Promise<unknown>;

export type IdleTimersFactory = (idleMs: number, onIdle: IdleHandler) => IdleTimers;
