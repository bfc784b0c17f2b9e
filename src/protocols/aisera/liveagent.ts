import type { Entry, Handoff, HandoffDetail, HandoffEndReason } from '../../core/model.js';
import type { HandoffRecord } from '../../core/ports/desk-store.js';
import { answersOf, type Answer } from './answers.js';

/**
 * The live-agent family of the Aisera wire (docs/protocols/aisera.md §4.5), pure: what a handoff event means
 * to the user's frames (`LiveAgentWaiting` … `LiveAgentExited`), and the frames an agent principal gets — new
 * handoffs as `LiveAgentWaiting`, the user's messages as `LiveAgent` `from:"user"`, the end as `LiveAgentExited`.
 */

/** The `liveAgent` object of a frame. */
export interface LiveAgentInfo {
  handoffId: string;
  state?: 'waiting' | 'connected' | 'ended';
  queue?: { id: string; position?: number; etaSec?: number };
  agent?: { id: string; name?: string; avatarUrl?: null };
  typing?: boolean;
  reason?: string;
  delivered?: boolean;
  queued?: boolean;
  /** `LiveAgentWaiting` after a transfer (the user waits again). */
  transferred?: true;
  /** A transfer's note, shown to agents only. */
  note?: string;
}

export type LiveAgentMode = 'LiveAgent' | 'LiveAgentWaiting' | 'LiveAgentWaitingUpdate' | 'LiveAgentJoined' | 'LiveAgentTyping' | 'LiveAgentExited';

/**
 * Why a handoff ended, as the wire says it. `sessionEnded` (the user reset, logged out or timed the session
 * out) is told as `userExit`, as the connector is told (the reference, §3.5); the other reasons are Aisera's own.
 */
export const wireReason = (r: HandoffEndReason | undefined): string => (r === undefined || r === 'sessionEnded' ? 'userExit' : r);

/** What one client knows of the conversation's handoff (from the state when it started following, then from events). */
export interface HandoffSeen {
  readonly id: string;
  readonly status: 'queued' | 'agent';
  readonly queue: string;
  readonly agent?: { readonly id: string; readonly name: string };
}

export const seenOf = (h: Handoff | undefined): HandoffSeen | undefined =>
  h ? { id: h.id, status: h.status, queue: h.queue, ...(h.agent ? { agent: h.agent } : {}) } : undefined;

/** A handoff event on the user's side: its frame's mode and `liveAgent`, and what the client now knows. */
export interface UserSideEvent {
  readonly modeType: LiveAgentMode;
  readonly liveAgent: LiveAgentInfo;
  readonly seen: HandoffSeen | undefined;
  /** The frame ends here (the bot's answer that follows gets a frame of its own). */
  readonly closes: boolean;
}

/**
 * `handoff_requested` is the bot's ask and says nothing on this wire: `handoff_queued` follows it in the same
 * request and makes the frame holding the bot's "connecting you" text a `LiveAgentWaiting`.
 */
export function userSideEvent(name: string, d: HandoffDetail | undefined, seen: HandoffSeen | undefined): UserSideEvent | undefined {
  const id = d?.id ?? seen?.id;
  if (id === undefined) return undefined;
  const queue = d?.queue ?? seen?.queue;
  const agent = d?.agent ?? seen?.agent;
  const q = queue !== undefined ? { queue: { id: queue } } : {};
  switch (name) {
    case 'handoff_queued':
      return {
        modeType: 'LiveAgentWaiting',
        liveAgent: { handoffId: id, state: 'waiting', ...q, ...(d?.transferred ? { transferred: true as const } : {}) },
        seen: { id, status: 'queued', queue: queue ?? 'default' },
        closes: false,
      };
    case 'handoff_waiting':
      return {
        modeType: 'LiveAgentWaitingUpdate',
        liveAgent: {
          handoffId: id,
          state: 'waiting',
          queue: { id: queue ?? 'default', ...(d?.position !== undefined ? { position: d.position } : {}), ...(d?.etaSec !== undefined ? { etaSec: d.etaSec } : {}) },
        },
        seen,
        closes: true,
      };
    case 'agent_session_start':
      return {
        modeType: 'LiveAgentJoined',
        liveAgent: { handoffId: id, state: 'connected', ...q, ...(agent ? { agent: wireAgent(agent) } : {}) },
        seen: { id, status: 'agent', queue: queue ?? seen?.queue ?? 'default', ...(agent ? { agent } : {}) },
        closes: true,
      };
    case 'agent_typing':
      return { modeType: 'LiveAgentTyping', liveAgent: { handoffId: id, state: 'connected', ...(agent ? { agent: wireAgent(agent) } : {}), typing: d?.typing === true }, seen, closes: true };
    case 'agent_session_end':
      return {
        modeType: 'LiveAgentExited',
        liveAgent: { handoffId: id, state: 'ended', reason: wireReason(d?.ended), ...(agent ? { agent: wireAgent(agent) } : {}) },
        seen: undefined,
        closes: true,
      };
    default:
      return undefined;
  }
}

export const wireAgent = (a: { readonly id: string; readonly name?: string }): { id: string; name?: string; avatarUrl: null } => ({
  id: a.id,
  ...(a.name !== undefined ? { name: a.name } : {}),
  avatarUrl: null,
});

/** The ack of a user message that went to humans: `LiveAgent` delivered (an agent owns it) or `LiveAgentWaiting` queued. */
export function userMessageAck(routed: 'queue' | 'agent', seen: HandoffSeen | undefined): { modeType: LiveAgentMode; liveAgent: LiveAgentInfo } | undefined {
  if (!seen) return undefined;
  return routed === 'agent'
    ? { modeType: 'LiveAgent', liveAgent: { handoffId: seen.id, state: 'connected', ...(seen.agent ? { agent: wireAgent(seen.agent) } : {}), delivered: true } }
    : { modeType: 'LiveAgentWaiting', liveAgent: { handoffId: seen.id, state: 'waiting', queue: { id: seen.queue }, delivered: false, queued: true } };
}

// ---------------------------------------------------------------------------------------------
// The agent's side.

/** A handoff as an agent's desk request (`needsSessionHistory` with an agent token) lists it. */
export type HandoffSummary = LiveAgentInfo & { user: { id: string } };

/** A frame to an agent principal (the common fields of every Aisera frame, plus the agent-side extras). */
export interface AgentFrame {
  reqId: null;
  sessionId: string | null;
  userId: string;
  channelId: string;
  seq: number;
  timestamp: string;
  from: 'user' | 'system';
  modeType: LiveAgentMode;
  answers: Answer[];
  final: true;
  liveAgent: LiveAgentInfo;
  /** The end user of the conversation (Colloquy's id of them). */
  user?: { id: string };
  initMsg?: string;
  transcript?: TranscriptItem[];
}

export interface TranscriptItem {
  readonly at: string;
  readonly role: 'user' | 'bot' | 'agent';
  readonly seq: number;
  readonly text: string;
  readonly agent?: { readonly id: string };
}

/** Messages of a conversation as an agent reads them: who said what, as text. */
export function transcriptOf(entries: readonly Entry[]): TranscriptItem[] {
  const items: TranscriptItem[] = [];
  for (const e of entries) {
    const at = new Date(e.at).toISOString();
    if (e.body.kind === 'user_message') items.push({ at, role: 'user', seq: e.seq, text: e.body.input.display ?? e.body.input.text });
    else if (e.body.kind === 'bot_message') {
      const text = answersOf(e.id, e.body.content)
        .map((a) => ('text' in a && a.text !== undefined ? a.text : 'label' in a ? a.label : ''))
        .filter((t) => t !== '')
        .join('\n');
      items.push({ at, role: e.from.role === 'agent' ? 'agent' : 'bot', seq: e.seq, text, ...(e.from.role === 'agent' ? { agent: { id: e.from.id } } : {}) });
    }
  }
  return items;
}

/** What the agent reads first: the user's last message (the one that asked for a human), else the handoff's reason. */
export function initMsgOf(reason: string | undefined, transcript: readonly TranscriptItem[]): string | undefined {
  return transcript.filter((t) => t.role === 'user').at(-1)?.text ?? reason;
}

/** A new (or transferred) handoff, as an agent of its channel is told: `LiveAgentWaiting` with the user, queue and transcript. */
export function waitingForAgent(record: HandoffRecord, transcript: readonly TranscriptItem[], to: { agentId: string; channelId: string }, now: number): AgentFrame {
  const initMsg = initMsgOf(record.reason, transcript);
  return {
    reqId: null,
    sessionId: null,
    userId: to.agentId,
    channelId: to.channelId,
    seq: 0,
    timestamp: new Date(now).toISOString(),
    from: 'system',
    modeType: 'LiveAgentWaiting',
    answers: [],
    final: true,
    liveAgent: {
      handoffId: record.handoffId,
      state: 'waiting',
      queue: { id: record.queue },
      ...(record.reason !== undefined ? { reason: record.reason } : {}),
      ...(record.note !== undefined ? { note: record.note } : {}),
    },
    user: { id: record.conversation.userId },
    ...(initMsg !== undefined ? { initMsg } : {}),
    transcript: [...transcript],
  };
}

/**
 * The frames of one handed-off conversation for the agent who picked it up: the user's messages (`LiveAgent`,
 * `from:"user"`) and the end of the handoff (`LiveAgentExited`, after which `ended` is true and the agent
 * stops following). What the agent did themselves (messages, typing) is not echoed.
 */
export class AgentFrames {
  ended = false;

  constructor(
    private readonly handoffId: string,
    private readonly to: { readonly agentId: string; readonly channelId: string },
  ) {}

  frames(entries: readonly Entry[]): AgentFrame[] {
    const out: AgentFrame[] = [];
    for (const e of entries) {
      if (this.ended) break;
      const base = { reqId: null, sessionId: e.sessionId ?? null, userId: this.to.agentId, channelId: this.to.channelId, seq: e.seq, timestamp: new Date(e.at).toISOString(), final: true as const };
      if (e.body.kind === 'user_message' && e.body.routed !== undefined) {
        out.push({
          ...base,
          from: 'user',
          modeType: 'LiveAgent',
          answers: [{ id: `${e.id}.0`, type: 'text', text: e.body.input.display ?? e.body.input.text, format: 'markdown' }],
          liveAgent: { handoffId: this.handoffId, state: 'connected' },
          user: { id: e.from.id },
        });
      } else if (e.body.kind === 'event' && e.body.name === 'agent_session_end' && e.body.detail?.handoff?.id === this.handoffId) {
        this.ended = true;
        out.push({ ...base, from: 'system', modeType: 'LiveAgentExited', answers: [], liveAgent: { handoffId: this.handoffId, state: 'ended', reason: wireReason(e.body.detail.handoff.ended) } });
      }
    }
    return out;
  }
}
