import type { ConversationRef, ConversationState, Entry, HandoffEndReason } from '../model.js';

/**
 * What an external contact centre hears of handoffs (the outbound connector webhook, docs/protocols/aisera.md §4.5),
 * derived from committed entries: pure. Each event is named by the entry it comes from (`id`), which is
 * the receiver's idempotency key.
 */
export type ConnectorEventType = 'handoff.queued' | 'handoff.transferred' | 'handoff.picked_up' | 'handoff.user_message' | 'handoff.ended';

export interface ConnectorEvent {
  /** The entry's id: unique, the same on every retry. */
  readonly id: string;
  readonly type: ConnectorEventType;
  /** Epoch ms of the entry. */
  readonly at: number;
  readonly seq: number;
  readonly handoffId: string;
  readonly conversation: ConversationRef;
  readonly queue?: string;
  readonly reason?: string;
  /** `picked_up`: who; `transferred`: the agent it is meant for, when one; `ended`: the agent who had it. */
  readonly agent?: { readonly id: string; readonly name: string };
  readonly note?: string;
  /** `user_message`: what the user said; `routed`: still waiting in the queue, or to the agent who owns it. */
  readonly text?: string;
  readonly routed?: 'queue' | 'agent';
  readonly endReason?: HandoffEndReason;
}

/** The connector events of one commit of `conversation` (`state`: the state written with it, if any). */
export function connectorEvents(conversation: ConversationRef, entries: readonly Entry[], state: ConversationState | undefined): ConnectorEvent[] {
  const out: ConnectorEvent[] = [];
  const conv: ConversationRef = { id: conversation.id, botId: conversation.botId, userId: conversation.userId };
  // The handoff a routed user message went to: the state's, or the one this commit ended (the user's exit).
  const ending = entries.find((e) => e.body.kind === 'event' && e.body.name === 'agent_session_end');
  const endedId = ending?.body.kind === 'event' ? ending.body.detail?.handoff?.id : undefined;
  for (const e of entries) {
    const base = { id: e.id, at: e.at, seq: e.seq, conversation: conv };
    const b = e.body;
    if (b.kind === 'user_message' && b.routed !== undefined) {
      const handoffId = state?.handoff?.id ?? endedId;
      if (handoffId !== undefined) out.push({ ...base, type: 'handoff.user_message', handoffId, text: b.input.display ?? b.input.text, routed: b.routed });
      continue;
    }
    if (b.kind !== 'event') continue;
    const d = b.detail?.handoff;
    if (d?.id === undefined) continue;
    const common = { ...base, handoffId: d.id, ...(d.queue !== undefined ? { queue: d.queue } : {}), ...(d.reason !== undefined ? { reason: d.reason } : {}), ...(d.agent ? { agent: { id: d.agent.id, name: d.agent.name } } : {}) };
    switch (b.name) {
      case 'handoff_queued':
        out.push({ ...common, type: d.transferred ? 'handoff.transferred' : 'handoff.queued', ...(d.note !== undefined ? { note: d.note } : {}) });
        break;
      case 'agent_session_start':
        out.push({ ...common, type: 'handoff.picked_up' });
        break;
      case 'agent_session_end':
        // A transfer is told by the `handoff.transferred` that follows it.
        if (d.ended !== 'transferred') out.push({ ...common, type: 'handoff.ended', ...(d.ended !== undefined ? { endReason: d.ended } : {}) });
        break;
      default:
        break;
    }
  }
  return out;
}
