import type { ConversationRef } from '../model.js';
import type { Clock, Timer } from '../ports/clock.js';

/**
 * One idle timer per conversation with an active session on this node. A timer only *asks* for the
 * session to be ended; the service re-checks the log under the conversation's lock, so whichever node
 * notices first ends it, once.
 */
export class SessionTimers {
  private readonly timers = new Map<string, { timer: Timer; sessionId: string; delayMs: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly idleMs: number,
    private readonly onIdle: (conversation: ConversationRef, sessionId: string) => void,
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
      this.onIdle(conversation, sessionId);
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
