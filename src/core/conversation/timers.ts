import type { ConversationRef } from '../model.js';
import type { Clock, Timer } from '../ports/clock.js';
import type { IdleHandler, IdleTimers } from '../ports/idle-timers.js';

/**
 * One idle timer per conversation with an active session on this node. A timer only *asks* for the
 * session to be ended; the service re-checks the log under the conversation's lock, so whichever node
 * notices first ends it, once. (A cluster shares its timers instead: bus/redis/idle-timers.ts.)
 */
interface TimerEntry {
  readonly timer: Timer;
  readonly sessionId: string;
  readonly delayMs: number;
  due: number;
}

export class SessionTimers implements IdleTimers {
  /**
   * `due`: when the session falls idle. Activity only moves `due` later; the timer, when it fires early,
   * sleeps again until `due` — every message would otherwise re-arm a timer (a timer-list reinsertion each).
   */
  private readonly timers = new Map<string, TimerEntry>();

  constructor(
    private readonly clock: Clock,
    private readonly idleMs: number,
    private readonly onIdle: IdleHandler,
  ) {}

  /** Activity in a session: (re)start its idle countdown (`delayMs` from now). */
  touch(conversation: ConversationRef, sessionId: string, delayMs = this.idleMs): void {
    const due = this.clock.now() + delayMs;
    const existing = this.timers.get(conversation.id);
    if (existing && existing.sessionId === sessionId && existing.delayMs === delayMs && due >= existing.due) {
      existing.due = due;
      return;
    }
    existing?.timer.cancel();
    this.arm(conversation, sessionId, delayMs, due);
  }

  /** Set the conversation's timer to go off at `due`. */
  private arm(conversation: ConversationRef, sessionId: string, delayMs: number, due: number): void {
    const entry: TimerEntry = { sessionId, delayMs, due, timer: this.clock.setTimer(due - this.clock.now(), () => this.fire(conversation, entry)) };
    this.timers.set(conversation.id, entry);
  }

  private fire(conversation: ConversationRef, entry: TimerEntry): void {
    if (this.timers.get(conversation.id) !== entry) return;
    // Touched since it was set: sleep again until the new due time.
    if (entry.due > this.clock.now()) return this.arm(conversation, entry.sessionId, entry.delayMs, entry.due);
    this.timers.delete(conversation.id);
    // The handler reports its own failures; a local timer is not retried.
    this.onIdle(conversation, entry.sessionId).catch(() => {});
  }

  forget(conversationId: string): void {
    this.timers.get(conversationId)?.timer.cancel();
    this.timers.delete(conversationId);
  }

  get size(): number {
    return this.timers.size;
  }

  stop(): void {
    for (const { timer } of this.timers.values()) timer.cancel();
    this.timers.clear();
  }
}
