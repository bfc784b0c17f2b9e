import type { ConversationRef } from '../model.js';
import type { Clock, Timer } from '../ports/clock.js';
import type { IdleHandler, IdleTimers } from '../ports/idle-timers.js';

/**
 * One idle timer per conversation with an active session on this node. A timer only *asks* for the
 * session to be ended; the service re-checks the log under the conversation's lock, so whichever node
 * notices first ends it, once. (A cluster shares its timers instead: bus/redis/idle-timers.ts.)
 */
export class SessionTimers implements IdleTimers {
  /**
   * `due`: when the session falls idle. Activity only moves `due` later; the timer, when it fires early,
   * sleeps again until `due` — every message would otherwise re-arm a timer (a timer-list reinsertion each).
   */
  private readonly timers = new Map<string, { timer: Timer; sessionId: string; delayMs: number; due: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly idleMs: number,
    private readonly onIdle: IdleHandler,
  ) {}

  /** Activity in a session: (re)start its idle countdown (`delayMs` from now). */
  touch(conversation: ConversationRef, sessionId: string, delayMs = this.idleMs): void {
    const conversationId = conversation.id;
    const due = this.clock.now() + delayMs;
    const existing = this.timers.get(conversationId);
    if (existing && existing.sessionId === sessionId && existing.delayMs === delayMs && due >= existing.due) {
      existing.due = due;
      return;
    }
    existing?.timer.cancel();
    this.arm(conversation, { sessionId, delayMs, due }, delayMs);
  }

  private arm(conversation: ConversationRef, t: { sessionId: string; delayMs: number; due: number }, inMs: number): void {
    const conversationId = conversation.id;
    const entry = { ...t, timer: undefined as unknown as Timer };
    entry.timer = this.clock.setTimer(inMs, () => {
      if (this.timers.get(conversationId) !== entry) return;
      const left = entry.due - this.clock.now();
      if (left > 0) return this.arm(conversation, entry, left);
      this.timers.delete(conversationId);
      // The handler reports its own failures; a local timer is not retried.
      this.onIdle(conversation, entry.sessionId).catch(() => {});
    });
    this.timers.set(conversationId, entry);
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
