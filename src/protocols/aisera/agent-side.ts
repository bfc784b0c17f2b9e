import { CoreError } from '../../core/errors.js';
import type { Hub, Subscriber } from '../../core/fanout/hub.js';
import type { HandoffDesk } from '../../core/handoff/desk.js';
import type { AgentRef, ConversationRef, Entry } from '../../core/model.js';
import type { Clock } from '../../core/ports/clock.js';
import type { AgentAccount, HandoffRecord } from '../../core/ports/desk-store.js';
import type { ChannelRecord } from '../../core/ports/directory.js';
import type { ConversationStore } from '../../core/ports/store.js';
import type { AgentFeed } from './agent-feed.js';
import type { AiseraRequest } from './decode.js';
import { directFrame, type Frame } from './encode.js';
import { AgentFrames, initMsgOf, transcriptOf, wireAgent, type AgentFrame, type HandoffSummary, type LiveAgentInfo } from './liveagent.js';

/**
 * The agent side of the Aisera channel (docs/protocols/aisera.md §4.5): requests of an agent principal (an
 * agent token, over WS, Socket.IO, REST or `POST /api/liveagent/events`) go to the live-agent desk. A socket
 * of an agent also hears of new handoffs of its channel's bot, and follows the conversations it picked up.
 */

/** What a socket offers an agent principal (REST calls have none: they get their reply only). */
export interface AgentLink {
  readonly id: string;
  send(frame: AgentFrame): void;
  /** What this socket follows for its agents, by key, with how to stop; all stopped when it closes. */
  readonly subscriptions: Map<string, () => void>;
}

export interface AgentSideDeps {
  readonly desk: HandoffDesk;
  readonly hub: Hub;
  readonly clock: Clock;
  readonly store: ConversationStore;
  readonly feed: AgentFeed;
  /** The agent's account, when the agent has one (its name and capacity); token-only agents have none. */
  readonly account: (agentId: string) => Promise<AgentAccount | null>;
}

const need = (value: string | undefined, path: string): string => {
  if (value === undefined || value === '') throw new CoreError('INVALID_REQUEST', `${path} is required`);
  return value;
};

export class AgentSide {
  constructor(private readonly deps: AgentSideDeps) {}

  /** Run one request of agent `agentId` (the token's subject) on `channel`; every answer goes to `reply`. */
  async handle(req: AiseraRequest, channel: ChannelRecord, principal: { readonly sub: string; readonly name?: string }, reply: (f: Frame) => void, link: AgentLink | undefined): Promise<void> {
    if (req.userId !== principal.sub) throw new CoreError('IDENTITY_MISMATCH', 'userId must be the agent of the token');
    if (req.live.agent && req.live.agent.id !== principal.sub) throw new CoreError('IDENTITY_MISMATCH', 'data.agent.id must be the agent of the token');
    const account = await this.deps.account(principal.sub);
    const agent: AgentRef = { id: principal.sub, name: req.live.agent?.name ?? account?.name ?? principal.name ?? principal.sub };
    const to = { agentId: agent.id, channelId: channel.id };
    if (link) this.listen(link, to, channel.botId);
    const view = { userId: agent.id, channelId: channel.id };
    const ack = (liveAgent: LiveAgentInfo, more: Partial<Frame> = {}) => reply(directFrame(view, req.reqId, this.deps.clock.now(), { liveAgent, ...more }));
    const kind = req.kind;

    if (kind.type === 'history') {
      // The agent's view of the desk: waiting handoffs (also sent as LiveAgentWaiting frames) and its own chats.
      const mine = (await this.deps.desk.open()).filter((r) => r.conversation.botId === channel.botId && (r.status === 'queued' ? r.agentId === undefined || r.agentId === agent.id : r.agentId === agent.id));
      if (link) for (const r of mine) if (r.status === 'agent') await this.follow(link, r, to, undefined);
      return reply(directFrame(view, req.reqId, this.deps.clock.now(), { handoffs: mine.map(summary) }));
    }
    if (kind.type === 'message' && req.live.handoffId !== undefined) {
      const handoffId = await this.owned(req.live.handoffId, channel);
      await this.deps.desk.say(agent, handoffId, req.text);
      return ack({ handoffId, state: 'connected', delivered: true });
    }
    if (kind.type !== 'agent') throw new CoreError('FORBIDDEN_REQUEST_TYPE', 'an agent token may send agent-side requests only (LiveAgent* types, a message with handoffId, needsSessionHistory)');

    const handoffId = await this.owned(need(req.live.handoffId, 'data.handoffId'), channel);
    switch (kind.requestType) {
      case 'LiveAgentPickUp': {
        const picked = await this.deps.desk.pickUp(agent, handoffId, account?.capacity);
        const transcript = transcriptOf(picked.transcript);
        if (link) await this.follow(link, picked.record, to, await this.pickedAt(picked.record, agent.id, picked.transcript.at(-1)?.seq ?? 0));
        const initMsg = initMsgOf(picked.handoff.reason, transcript);
        return ack(
          { handoffId, state: 'connected', queue: { id: picked.handoff.queue }, agent: wireAgent(agent), ...(picked.handoff.reason !== undefined ? { reason: picked.handoff.reason } : {}), ...(picked.handoff.note !== undefined ? { note: picked.handoff.note } : {}) },
          { transcript, ...(initMsg !== undefined ? { initMsg } : {}), user: { id: picked.record.conversation.userId } },
        );
      }
      case 'LiveAgentCompleted':
        await this.deps.desk.complete(agent, handoffId);
        if (link) this.unfollow(link, handoffId);
        return ack({ handoffId, state: 'ended', reason: 'agentCompleted' });
      case 'LiveAgentTransfer': {
        const target = req.live.target;
        const queueId = target?.queueId;
        const agentId = target?.agentId;
        if ((queueId === undefined) === (agentId === undefined)) throw new CoreError('INVALID_REQUEST', 'data.target needs exactly one of queueId and agentId');
        const other = agentId !== undefined ? { id: agentId, name: (await this.deps.account(agentId))?.name ?? agentId } : undefined;
        await this.deps.desk.transfer(agent, handoffId, other ? { agent: other } : { queue: queueId! }, req.live.note);
        if (link) this.unfollow(link, handoffId);
        return ack({ handoffId, state: 'waiting', ...(queueId !== undefined ? { queue: { id: queueId } } : {}), ...(other ? { agent: wireAgent(other) } : {}) });
      }
      case 'LiveAgentTyping': {
        const typing = req.live.typing ?? true;
        await this.deps.desk.typing(agent, handoffId, typing);
        return ack({ handoffId, state: 'connected', typing });
      }
      default:
        throw new CoreError('UNKNOWN_REQUEST_TYPE');
    }
  }

  /** A handoff of this channel's bot (another bot's handoffs do not exist for its agents). */
  private async owned(handoffId: string, channel: ChannelRecord): Promise<string> {
    const r = await this.deps.desk.record(handoffId);
    if (r.conversation.botId !== channel.botId) throw new CoreError('HANDOFF_NOT_FOUND');
    return handoffId;
  }

  private listen(link: AgentLink, to: { agentId: string; channelId: string }, botId: string): void {
    const key = `feed:${to.agentId}:${to.channelId}`;
    if (link.subscriptions.has(key)) return;
    const id = `${link.id}:${key}`;
    this.deps.feed.add({ id, ...to, botId, send: (f) => link.send(f) });
    link.subscriptions.set(key, () => this.deps.feed.remove(id));
  }

  /** Follow a picked-up conversation after `afterSeq` (undefined: from its head now), until the handoff ends. */
  private async follow(link: AgentLink, r: HandoffRecord, to: { agentId: string; channelId: string }, afterSeq: number | undefined): Promise<void> {
    const key = `handoff:${r.handoffId}`;
    if (link.subscriptions.has(key)) return;
    const frames = new AgentFrames(r.handoffId, to);
    const conv: ConversationRef = r.conversation;
    const sub: Subscriber = {
      id: `${link.id}:${key}`,
      conversationId: conv.id,
      deliver: (entries: readonly Entry[]) => {
        for (const f of frames.frames(entries)) link.send(f);
        if (frames.ended) queueMicrotask(() => this.unfollow(link, r.handoffId));
      },
    };
    link.subscriptions.set(key, () => this.deps.hub.detach(sub));
    this.deps.hub.attach(sub, afterSeq ?? (await this.head(r)));
  }

  private unfollow(link: AgentLink, handoffId: string): void {
    const key = `handoff:${handoffId}`;
    link.subscriptions.get(key)?.();
    link.subscriptions.delete(key);
  }

  /**
   * Where an agent's following of a conversation it just picked up starts: at its own `agent_session_start`
   * (what came before — an earlier agent's exit — is not the agent's), or at the transcript's end if that is
   * later (the transcript, read after the pick-up, already holds those messages).
   */
  private async pickedAt(r: HandoffRecord, agentId: string, transcriptEnd: number): Promise<number> {
    const tail = await this.deps.store.readSince(r.conversation.id, transcriptEnd, 200);
    const start = tail.find((e) => e.body.kind === 'event' && e.body.name === 'agent_session_start' && e.body.detail?.handoff?.id === r.handoffId && e.body.detail.handoff.agent?.id === agentId);
    return start ? start.seq : transcriptEnd;
  }

  private async head(r: HandoffRecord): Promise<number> {
    return (await this.deps.store.getState(r.conversation.id)).headSeq;
  }
}

/** A handoff as the agent's desk request lists it. */
const summary = (r: HandoffRecord): HandoffSummary => ({
  handoffId: r.handoffId,
  state: r.status === 'queued' ? 'waiting' : 'connected',
  queue: { id: r.queue },
  ...(r.reason !== undefined ? { reason: r.reason } : {}),
  ...(r.note !== undefined ? { note: r.note } : {}),
  user: { id: r.conversation.userId },
});
