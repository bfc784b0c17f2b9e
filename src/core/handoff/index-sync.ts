import type { ConversationRef, ConversationState, Entry, Handoff } from '../model.js';
import type { DeskStore, HandoffRecord } from '../ports/desk-store.js';

const HANDOFF_EVENTS = new Set(['handoff_queued', 'agent_session_start', 'agent_session_end']);

/** Did these entries move a handoff (so the desk's index must follow)? */
export const movesHandoff = (entries: readonly Entry[]): boolean =>
  entries.some((e) => e.body.kind === 'event' && HANDOFF_EVENTS.has(e.body.name));

/** The index record of a handoff as the state row now has it. */
export const recordOf = (conversation: ConversationRef, h: Handoff): HandoffRecord => ({
  handoffId: h.id,
  conversation: { id: conversation.id, botId: conversation.botId, userId: conversation.userId },
  queue: h.queue,
  status: h.status,
  ...(h.status === 'agent' && h.agent ? { agentId: h.agent.id } : h.forAgent !== undefined ? { agentId: h.forAgent } : {}),
  ...(h.reason !== undefined ? { reason: h.reason } : {}),
  ...(h.note !== undefined ? { note: h.note } : {}),
  requestedAt: h.requestedAt,
  queuedAt: h.queuedAt,
  ...(h.joinedAt !== undefined ? { joinedAt: h.joinedAt } : {}),
});

/**
 * Bring the desk's index in line with a conversation after a commit of `entries` that wrote `state` (under
 * the conversation's lock, so updates of one conversation never cross): the open handoff is put, an ended
 * one removed. Entries that move no handoff cost nothing — not even a promise (`undefined`: nothing to wait for).
 */
export function syncIndex(desk: DeskStore, conversation: ConversationRef, entries: readonly Entry[], state: ConversationState | undefined): Promise<void> | undefined {
  return movesHandoff(entries) ? writeIndex(desk, conversation, entries, state) : undefined;
}

async function writeIndex(desk: DeskStore, conversation: ConversationRef, entries: readonly Entry[], state: ConversationState | undefined): Promise<void> {
  const open = state?.handoff;
  for (const e of entries) {
    const id = e.body.kind === 'event' && e.body.name === 'agent_session_end' ? e.body.detail?.handoff?.id : undefined;
    if (id !== undefined && id !== open?.id) await desk.removeHandoff(id);
  }
  if (open) await desk.putHandoff(recordOf(conversation, open));
}
