import type { CoreError } from '../../core/errors.js';
import type { AgentRef, Content, Entry, EventName, HandoffDetail, HandoffEndReason } from '../../core/model.js';
import type { HandoffRecord } from '../../core/ports/desk-store.js';
import type { AgentStatus } from '../../core/ports/presence.js';

/**
 * Server frames of the native agent protocol (docs/protocols/native.md), pure. A console renders text:
 * rich bot content is degraded to readable text here.
 */

/** One log entry as an agent console shows it. */
export interface EntryView {
  readonly seq: number;
  readonly id: string;
  readonly at: number;
  readonly from: { readonly role: string; readonly id: string };
  /** A message's text (user, bot or agent). */
  readonly text?: string;
  /** A message that went to humans while the conversation waited in a queue or was with an agent. */
  readonly routed?: 'queue' | 'agent';
  /** An event: its name, and the handoff facts it carries. */
  readonly event?: { readonly name: EventName; readonly handoff?: HandoffDetail; readonly reason?: string };
  /** An agent's message: the client id it was sent with (consoles match their pending sends with it). */
  readonly clientId?: string;
}

export interface AgentView {
  readonly id: string;
  readonly name: string;
  readonly queues: readonly string[];
  readonly capacity: number;
}

export interface ChatView {
  readonly handoffId: string;
  readonly conversationId: string;
  readonly queue: string;
  readonly reason?: string;
  readonly note?: string;
  readonly user: { readonly id: string };
  readonly requestedAt: number;
  readonly joinedAt?: number;
}

export interface WaitingView {
  readonly handoffId: string;
  readonly queue: string;
  readonly reason?: string;
  readonly note?: string;
  readonly queuedAt: number;
  readonly waitedMs: number;
  /** 1 = next in its queue. */
  readonly position: number;
  /** Routing offers this conversation to the reading agent (accepting is still up to them). */
  readonly offeredToYou: boolean;
  /** Transferred to the reading agent by name: only they can take it. */
  readonly forYou: boolean;
}

export interface PresenceView {
  readonly id: string;
  readonly status: AgentStatus;
  readonly queues: readonly string[];
  readonly capacity: number;
  readonly active: number;
}

export function contentText(c: Content): string {
  switch (c.type) {
    case 'text':
      return c.text;
    case 'buttons':
      return `${c.text}\n${c.buttons.map((b) => `[${b.title}]`).join(' ')}`;
    case 'quickReplies':
      return `${c.text}\n${c.replies.map((r) => `[${r.title}]`).join(' ')}`;
    case 'carousel':
      return c.cards.map((k) => `• ${k.title}${k.subtitle ? ` — ${k.subtitle}` : ''}`).join('\n');
    case 'list':
      return [c.title, ...c.items.map((k) => `• ${k.title}${k.subtitle ? ` — ${k.subtitle}` : ''}`)].filter(Boolean).join('\n');
    case 'form':
      return `[form] ${c.form.title ?? c.form.fields.map((f) => f.label).join(', ')}`;
    case 'media':
      return `[${c.media}] ${c.title ?? c.url}`;
  }
}

export function entryView(e: Entry): EntryView {
  const base = { seq: e.seq, id: e.id, at: e.at, from: { role: e.from.role, id: e.from.id } };
  const b = e.body;
  if (b.kind === 'user_message') return { ...base, text: b.input.display ?? b.input.text, ...(b.routed ? { routed: b.routed } : {}) };
  if (b.kind === 'bot_message') {
    const clientId = e.from.role === 'agent' ? e.origin?.clientMessageId : undefined;
    return { ...base, text: contentText(b.content), ...(clientId !== undefined ? { clientId } : {}) };
  }
  return {
    ...base,
    event: { name: b.name, ...(b.detail?.handoff ? { handoff: b.detail.handoff } : {}), ...(b.reason !== undefined ? { reason: b.reason } : {}) },
  };
}

export const chatView = (r: HandoffRecord, note: string | undefined = r.note): ChatView => ({
  handoffId: r.handoffId,
  conversationId: r.conversation.id,
  queue: r.queue,
  ...(r.reason !== undefined ? { reason: r.reason } : {}),
  ...(note !== undefined ? { note } : {}),
  user: { id: r.conversation.userId },
  requestedAt: r.requestedAt,
  ...(r.joinedAt !== undefined ? { joinedAt: r.joinedAt } : {}),
});

const json = (v: object): string => JSON.stringify(v);

export const helloFrame = (agent: AgentView, status: AgentStatus, chats: readonly ChatView[], now: number): string => json({ type: 'hello', agent, status, chats, now });
export const queuesFrame = (
  waiting: readonly WaitingView[],
  agents: readonly PresenceView[],
  now: number,
  directory: readonly { readonly id: string; readonly name: string }[],
  queueNames: readonly string[],
): string => json({ type: 'queues', waiting, agents, directory, queueNames, now });
export const chatFrame = (chat: ChatView, transcript: readonly Entry[], headSeq: number): string =>
  json({ type: 'chat', ...chat, transcript: transcript.map(entryView), headSeq });
export const entryFrame = (handoffId: string, e: Entry): string => json({ type: 'entry', handoffId, ...entryView(e) });
export const ackFrame = (clientId: string, said: { id: string } | { seq: number }): string => json({ type: 'ack', clientId, ...said });
export const endedFrame = (handoffId: string, reason: HandoffEndReason | 'unknown', by?: AgentRef): string =>
  json({ type: 'ended', handoffId, reason, ...(by ? { by } : {}) });
export const errorFrame = (err: CoreError, ref?: string | number, handoffId?: string): string =>
  json({ type: 'error', code: err.code, message: err.message, retryable: err.spec.retryable, ...(ref !== undefined ? { ref } : {}), ...(handoffId !== undefined ? { handoffId } : {}) });
export const pongFrame = (now: number): string => json({ type: 'pong', now });
