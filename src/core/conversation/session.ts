import { end as endHandoff } from '../handoff/machine.js';
import { newMessageId, newSessionId } from '../ids.js';
import { stateWith } from '../shapes.js';
import type { ConversationState, NewEntry, SessionEndReason, StateSnapshot } from '../model.js';

export interface SessionPlan {
  /** Events to append first: `session_end` of an expired session and/or `session_start` of a new one. */
  readonly events: NewEntry[];
  readonly session: { readonly id: string; readonly startedAt: number; readonly idleMs?: number };
  /** The state to write when the session changed; undefined when the active session continues. */
  readonly nextState: ConversationState | undefined;
}

export const sessionEvent = (
  name: 'session_start' | 'session_end',
  sessionId: string,
  at: number,
  reason?: SessionEndReason,
): NewEntry => ({
  id: newMessageId(),
  at,
  from: { role: 'system', id: 'system' },
  sessionId,
  body: reason ? { kind: 'event', name, reason } : { kind: 'event', name },
});

/** Is the session in `snap` still active at `now`? A session ends after `idleMs` without any entry (its own, if it has one). */
export const activeSession = (snap: StateSnapshot, now: number, idleMs: number) => {
  const s = snap.value.session;
  return s && now - Math.max(snap.lastAt, s.startedAt) < idleMs ? s : undefined;
};

/**
 * Decide what a turn at `now` must do about the session: continue it, or end the idle one and start anew.
 * `ownIdleMs`: the conversation's own idle timeout, recorded on a new session.
 */
export function planSession(snap: StateSnapshot, now: number, idleMs: number, ownIdleMs?: number): SessionPlan {
  const current = activeSession(snap, now, idleMs);
  if (current) return { events: [], session: current, nextState: undefined };
  const stale = snap.value.session;
  const { value, events } = endingSession(snap.value, stale?.id, now, 'idle');
  const session = { id: newSessionId(), startedAt: now, ...(ownIdleMs !== undefined ? { idleMs: ownIdleMs } : {}) };
  events.push(sessionEvent('session_start', session.id, now));
  return { events, session, nextState: stateWith(value, { session }) };
}

/**
 * The events that end a session (a live-agent handoff ends with it) and the state without either. With no
 * session (`sessionId` undefined) only a dangling handoff is ended.
 */
export function endingSession(state: ConversationState, sessionId: string | undefined, now: number, reason: SessionEndReason): { value: ConversationState; events: NewEntry[] } {
  const handoff = state.handoff;
  const value = stateWith(state, { session: undefined, handoff: undefined });
  const events: NewEntry[] = [];
  if (handoff) events.push(...endHandoff(handoff, handoff.id, 'sessionEnded', now, sessionId).entries);
  if (sessionId !== undefined) events.push(sessionEvent('session_end', sessionId, now, reason));
  return { value, events };
}
