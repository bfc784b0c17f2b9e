import { CoreError } from '../errors.js';
import { newMessageId, newSecret } from '../ids.js';
import type { Actor, AgentRef, ConversationState, EventName, Handoff, HandoffDetail, HandoffEndReason, NewEntry } from '../model.js';
import { stateWith } from '../shapes.js';

/**
 * The handoff state machine, pure: `bot → queued → agent → bot`, with transfers back to `queued` and an end
 * from any state. Each transition takes the current {@link Handoff} (from the state row, read under the
 * conversation's lock) and returns the next one and the events to append with it — in one commit, with the
 * state's optimistic version, so a transition happens once however many agents or nodes race for it.
 */
export interface Transition {
  /** `undefined`: the bot owns the conversation again. */
  readonly handoff: Handoff | undefined;
  readonly entries: NewEntry[];
}

const SYSTEM: Actor = { role: 'system', id: 'system' };

export const newHandoffId = (): string => `h-${newSecret(12)}`;

export function handoffEvent(name: EventName, detail: HandoffDetail, at: number, sessionId: string | undefined, from: Actor = SYSTEM): NewEntry {
  return {
    id: newMessageId(),
    at,
    from,
    ...(sessionId !== undefined ? { sessionId } : {}),
    body: { kind: 'event', name, detail: { handoff: detail } },
  };
}

const base = (h: Handoff): HandoffDetail => ({ id: h.id, queue: h.queue, ...(h.reason !== undefined ? { reason: h.reason } : {}) });

function owned(current: Handoff | undefined, handoffId: string): Handoff {
  if (!current || current.id !== handoffId) throw new CoreError('HANDOFF_NOT_FOUND');
  return current;
}

function byOwner(current: Handoff | undefined, handoffId: string, agentId: string): Handoff {
  const h = owned(current, handoffId);
  if (h.status !== 'agent' || h.agent?.id !== agentId) throw new CoreError('HANDOFF_STATE_CONFLICT', 'Another agent owns this conversation, or nobody has picked it up.');
  return h;
}

/** An agent takes a waiting conversation. Only one can: the second finds it no longer `queued`. */
export function pickUp(current: Handoff | undefined, handoffId: string, agent: AgentRef, now: number, sessionId: string | undefined): Transition {
  const h = owned(current, handoffId);
  if (h.status !== 'queued') throw new CoreError('HANDOFF_STATE_CONFLICT', 'This conversation was already picked up.');
  if (h.forAgent !== undefined && h.forAgent !== agent.id) throw new CoreError('HANDOFF_STATE_CONFLICT', 'This conversation was transferred to another agent.');
  const { forAgent: _f, told: _t, ...rest } = h;
  const handoff: Handoff = { ...rest, status: 'agent', agent, joinedAt: now, lastAgentAt: now };
  return { handoff, entries: [handoffEvent('agent_session_start', { ...base(h), agent }, now, sessionId)] };
}

/** The owning agent hands the conversation to another queue or agent, with a note; the user waits again. */
export function transfer(
  current: Handoff | undefined,
  handoffId: string,
  agentId: string,
  target: { readonly queue?: string; readonly agent?: AgentRef },
  note: string | undefined,
  now: number,
  sessionId: string | undefined,
): Transition {
  const h = byOwner(current, handoffId, agentId);
  if (target.agent?.id === agentId) throw new CoreError('INVALID_REQUEST', 'An agent cannot transfer a conversation to themselves.');
  const queue = target.queue ?? h.queue;
  const { agent, joinedAt: _j, lastAgentAt: _l, told: _t, forAgent: _f, note: _n, ...rest } = h;
  const handoff: Handoff = {
    ...rest,
    status: 'queued',
    queue,
    queuedAt: now,
    ...(target.agent ? { forAgent: target.agent.id } : {}),
    ...(note !== undefined ? { note } : {}),
  };
  return {
    handoff,
    entries: [
      handoffEvent('agent_session_end', { ...base(h), ...(agent ? { agent } : {}), ended: 'transferred' }, now, sessionId),
      handoffEvent('handoff_queued', { ...base(handoff), ...(target.agent ? { agent: target.agent } : {}), ...(note !== undefined ? { note } : {}), transferred: true }, now, sessionId),
    ],
  };
}

/** The handoff ends for `reason`; the bot owns the conversation again. */
export function end(current: Handoff | undefined, handoffId: string, reason: HandoffEndReason, now: number, sessionId: string | undefined): Transition {
  const h = owned(current, handoffId);
  return {
    handoff: undefined,
    entries: [handoffEvent('agent_session_end', { ...base(h), ...(h.agent ? { agent: h.agent } : {}), ended: reason }, now, sessionId)],
  };
}

/** The owning agent says something: a message from the agent, and the agent's idle clock restarts. */
export function agentMessage(current: Handoff | undefined, handoffId: string, agentId: string, now: number): Handoff {
  return { ...byOwner(current, handoffId, agentId), lastAgentAt: now };
}

/** The owning agent types (or stops). */
export function agentTyping(current: Handoff | undefined, handoffId: string, agentId: string, typing: boolean, now: number, sessionId: string | undefined): NewEntry {
  const h = byOwner(current, handoffId, agentId);
  return handoffEvent('agent_typing', { id: h.id, agent: h.agent!, typing }, now, sessionId, { role: 'agent', id: agentId });
}

/** What the user said goes to humans; the user's idle clock restarts. */
export const userMessage = (h: Handoff, now: number): Handoff => ({ ...h, lastUserAt: now });

/** Words that leave a queue or an agent chat (the Aisera flow-exit command and `exit`, which always works). */
export const isExit = (text: string): boolean => /^\s*(exit|cancel|quit|stop)\s*[.!]?\s*$/i.test(text);

export interface HandoffTimeouts {
  /** No agent picked it up within this long → `noAgentAvailable`. 0: wait forever. */
  readonly queueMs: number;
  /** The user said nothing to the agent for this long → `userIdle`. 0: off. */
  readonly userIdleMs: number;
  /** The agent said nothing for this long → `agentIdle`. 0: off. */
  readonly agentIdleMs: number;
}

/** Has this handoff run out of time at `now`, and why? */
export function expired(h: Handoff, now: number, t: HandoffTimeouts): HandoffEndReason | undefined {
  if (h.status === 'queued') return t.queueMs > 0 && now - h.queuedAt >= t.queueMs ? 'noAgentAvailable' : undefined;
  if (t.userIdleMs > 0 && now - Math.max(h.lastUserAt, h.joinedAt ?? 0) >= t.userIdleMs) return 'userIdle';
  if (t.agentIdleMs > 0 && now - (h.lastAgentAt ?? h.joinedAt ?? now) >= t.agentIdleMs) return 'agentIdle';
  return undefined;
}

/** Is the waiting user due a new place: it changed, and the last update is at least `everyMs` old? */
export const waitingUpdateDue = (h: Handoff, position: number, now: number, everyMs: number): boolean =>
  h.status === 'queued' && (!h.told || (h.told.position !== position && now - h.told.at >= everyMs));

/** Tell the waiting user their place, when due (see {@link waitingUpdateDue}). */
export function waitingUpdate(h: Handoff, position: number, etaSec: number, now: number, everyMs: number, sessionId: string | undefined): Transition | undefined {
  if (!waitingUpdateDue(h, position, now, everyMs)) return undefined;
  return {
    handoff: { ...h, told: { position, at: now } },
    entries: [handoffEvent('handoff_waiting', { ...base(h), position, etaSec }, now, sessionId)],
  };
}

/**
 * The bot asked for a human (`handoff_requested` among its entries) while it owns the conversation: the
 * conversation waits in the queue it named. While a handoff is open the bot is not asked, so a second request
 * cannot come; one that did would change nothing.
 */
export function handoffAsked(
  state: ConversationState,
  entries: readonly NewEntry[],
  now: number,
  sessionId: string,
  defaultQueue = 'default',
): { entries: NewEntry[]; value: ConversationState } | undefined {
  if (state.handoff) return undefined;
  const ask = entries.find((e) => e.body.kind === 'event' && e.body.name === 'handoff_requested');
  if (!ask || ask.body.kind !== 'event') return undefined;
  const detail = ask.body.detail?.handoff;
  const handoff: Handoff = {
    id: newHandoffId(),
    status: 'queued',
    queue: detail?.queue ?? defaultQueue,
    ...(detail?.reason !== undefined ? { reason: detail.reason } : {}),
    requestedAt: now,
    queuedAt: now,
    lastUserAt: now,
  };
  return { entries: [handoffEvent('handoff_queued', base(handoff), now, sessionId)], value: stateWith(state, { handoff }) };
}
