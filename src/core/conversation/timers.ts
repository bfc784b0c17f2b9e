import type { ConversationRef } from '../model.js';
import type { Clock, Timer } from '../ports/clock.js';
import type { IdleHandler, IdleTimers } from '../ports/idle-timers.js';

/**
 * One idle timer per conversation with an active session on this node. A timer only *asks* for the
 * session to be ended; the service re-checks the log under the conversation's lock, so whichever node
 * notices first ends it, once. (A cluster shares its timers instead: bus/redis/idle-timers.ts.)
 */
export class SessionTimers implements IdleTimers {
  private readonly timers = new Map<string, { timer: Timer; sessionId: string; delayMs: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly idleMs: number,
    private readonly onIdle: IdleHandler,
  ) {}

  /** Activity in a session: (re)start its idle countdown (`delayMs` from now). */
  touch(conversation: ConversationRef, sessionId: string, delayMs = this.idleMs): void {
    const conversationId = conversation.id;
    const existing = this.timers.get(conversationId);
    if (existing && existing.sessionId === sessionId && existing.delayMs === delayMs) {
      existing.timer.refresh();
      return;
    }
    existing?.timer.cancel();
    const timer = this.clock.setTimer(delayMs, () => {
      if (this.timers.get(conversationId)?.timer !== timer) return;
      this.timers.delete(conversationId);
      // The handler reports its own failures; a local timer is not retried.
      this.onIdle(conversation, sessionId).catch(() => {});
    });
    this.timers.set(conversationId, { timer, sessionId, delayMs });
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
