import type { Change, ConversationService, TurnContext } from '../conversation/service.js';
import { CoreError } from '../errors.js';
import { newMessageId } from '../ids.js';
import type { AgentRef, ConversationRef, ConversationState, Entry, Handoff, HandoffEndReason, NewEntry } from '../model.js';
import type { Clock } from '../ports/clock.js';
import type { DeskStore, HandoffRecord } from '../ports/desk-store.js';
import type { Logger } from '../ports/logger.js';
import type { ConversationStore } from '../ports/store.js';
import { stateWith } from '../shapes.js';
import * as machine from './machine.js';
import { etaSec, positions } from './routing.js';

export interface DeskSettings {
  readonly timeouts: machine.HandoffTimeouts;
  /** At most one queue-position update per waiting user this often. */
  readonly updateEveryMs: number;
  /** The estimated wait per place in the queue before any agent has picked anything up. */
  readonly fallbackEtaSec: number;
  /** Messages of the transcript an agent gets on pick-up. */
  readonly transcriptSize: number;
}

export const DEFAULT_DESK_SETTINGS: DeskSettings = {
  timeouts: { queueMs: 5 * 60_000, userIdleMs: 30 * 60_000, agentIdleMs: 0 },
  updateEveryMs: 10_000,
  fallbackEtaSec: 60,
  transcriptSize: 50,
};

export interface DeskDeps {
  readonly service: ConversationService;
  readonly store: ConversationStore;
  readonly desk: DeskStore;
  readonly clock: Clock;
  readonly log: Logger;
}

/** What an agent gets when a pick-up succeeds: the conversation, why it came, and what was said so far. */
export interface PickedUp {
  readonly record: HandoffRecord;
  readonly handoff: Handoff;
  /** The newest messages (oldest first). */
  readonly transcript: readonly Entry[];
  /** The log head after the pick-up: follow the conversation from here. */
  readonly headSeq: number;
}

/**
 * The live-agent desk: what agents (the console, an Aisera agent token, a contact-centre connector) do to
 * handed-off conversations, and the sweep that times handoffs out and tells waiting users their place.
 * Every change goes through {@link ConversationService.change}: under the conversation's lock, checked
 * against its state row (a pick-up by a second agent fails with HANDOFF_STATE_CONFLICT), appended to its log.
 */
export class HandoffDesk {
  private readonly settings: DeskSettings;

  constructor(
    private readonly deps: DeskDeps,
    settings: Partial<DeskSettings> = {},
  ) {
    this.settings = { ...DEFAULT_DESK_SETTINGS, ...settings, timeouts: { ...DEFAULT_DESK_SETTINGS.timeouts, ...settings.timeouts } };
  }

  /** The record of an open handoff, or HANDOFF_NOT_FOUND. */
  async record(handoffId: string): Promise<HandoffRecord> {
    const r = await this.deps.desk.handoff(handoffId);
    if (!r) throw new CoreError('HANDOFF_NOT_FOUND');
    return r;
  }

  /** Every open handoff, longest waiting first. */
  open(): Promise<HandoffRecord[]> {
    return this.deps.desk.handoffs();
  }

  /**
   * `agent` takes a waiting conversation. `capacity`: how many chats the agent may hold (undefined: no limit).
   * Exactly one of several agents racing for it succeeds.
   */
  async pickUp(agent: AgentRef, handoffId: string, capacity?: number): Promise<PickedUp> {
    const record = await this.record(handoffId);
    if (capacity !== undefined) {
      const held = (await this.deps.desk.handoffs()).filter((r) => r.status === 'agent' && r.agentId === agent.id).length;
      if (held >= capacity) throw new CoreError('AGENT_AT_CAPACITY');
    }
    const handoff = await this.change(record.conversation, agent, (state, sessionId, now) => {
      const t = machine.pickUp(state.handoff, handoffId, agent, now, sessionId);
      return { entries: t.entries, value: stateWith(state, { handoff: t.handoff! }), result: t.handoff! };
    });
    const page = await this.deps.store.readMessages(record.conversation.id, { offset: 0, limit: this.settings.transcriptSize });
    const snap = await this.deps.store.getState(record.conversation.id);
    return { record: { ...record, status: 'agent', agentId: agent.id, joinedAt: handoff.joinedAt! }, handoff, transcript: page.entries, headSeq: snap.headSeq };
  }

  /**
   * The owning agent's message to the user. `clientMessageId` makes a re-send (after a reconnect) a
   * duplicate instead of a second message.
   */
  async say(agent: AgentRef, handoffId: string, text: string, clientMessageId?: string): Promise<Said> {
    const trimmed = text.trim();
    if (trimmed === '') throw new CoreError('INVALID_REQUEST', 'An agent message needs text.');
    const record = await this.record(handoffId);
    return this.change<Said>(record.conversation, agent, (state, sessionId, now) => {
        const handoff = machine.agentMessage(state.handoff, handoffId, agent.id, now);
        const message: NewEntry = {
          id: newMessageId(),
          at: now,
          from: { role: 'agent', id: agent.id },
          ...(sessionId !== undefined ? { sessionId } : {}),
          body: { kind: 'bot_message', content: { type: 'text', text: trimmed } },
          origin: { deviceId: agentDevice(agent.id), ...(clientMessageId !== undefined ? { clientMessageId } : {}) },
        };
        return { entries: [message], value: stateWith(state, { handoff }), result: { id: message.id, duplicate: false }, duplicate: (seq) => ({ seq, duplicate: true }) };
      });
  }

  /** The owning agent started or stopped typing. */
  async typing(agent: AgentRef, handoffId: string, typing: boolean): Promise<void> {
    const record = await this.record(handoffId);
    await this.change(record.conversation, agent, (state, sessionId, now) => ({
      entries: [machine.agentTyping(state.handoff, handoffId, agent.id, typing, now, sessionId)],
      result: undefined,
    }));
  }

  /** The owning agent hands the conversation to another queue or agent, with a note for them. */
  async transfer(agent: AgentRef, handoffId: string, target: { readonly queue?: string; readonly agent?: AgentRef }, note?: string): Promise<void> {
    if (target.queue === undefined && target.agent === undefined) throw new CoreError('INVALID_REQUEST', 'A transfer needs a target queue or agent.');
    const record = await this.record(handoffId);
    await this.change(record.conversation, agent, (state, sessionId, now) => {
      const t = machine.transfer(state.handoff, handoffId, agent.id, target, note, now, sessionId);
      return { entries: t.entries, value: stateWith(state, { handoff: t.handoff! }), result: undefined };
    });
  }

  /** The owning agent (or, for a waiting conversation, any agent of the desk) ends the handoff; the bot answers again. */
  async complete(agent: AgentRef, handoffId: string): Promise<void> {
    const record = await this.record(handoffId);
    await this.change(record.conversation, agent, (state, sessionId, now) => {
      const h = state.handoff;
      if (h?.status === 'agent' && h.agent?.id !== agent.id) throw new CoreError('HANDOFF_STATE_CONFLICT', 'Another agent owns this conversation.');
      return this.ending(state, handoffId, 'agentCompleted', sessionId, now);
    });
  }

  /**
   * Time out what waited or idled too long, tell waiting users their place, and drop index records the
   * conversations no longer have. Run every second or so on every node; each change is checked under the
   * conversation's lock, so nodes sweeping together change each conversation once.
   */
  async sweep(): Promise<void> {
    const open = await this.deps.desk.handoffs();
    const places = positions(open);
    const now = this.deps.clock.now();
    for (const r of open) {
      try {
        const snap = await this.deps.store.getState(r.conversation.id);
        const h = snap.value.handoff;
        if (!h || h.id !== r.handoffId) {
          await this.deps.desk.removeHandoff(r.handoffId);
          continue;
        }
        const reason = machine.expired(h, now, this.settings.timeouts);
        if (reason) {
          await this.change(r.conversation, undefined, (state, sessionId, at) =>
            state.handoff?.id === r.handoffId && machine.expired(state.handoff, at, this.settings.timeouts) === reason
              ? this.ending(state, r.handoffId, reason, sessionId, at)
              : { entries: [], result: undefined },
          );
          continue;
        }
        const place = places.get(r.handoffId);
        if (place === undefined || !machine.waitingUpdateDue(h, place, now, this.settings.updateEveryMs)) continue;
        const eta = etaSec(place, open, this.settings.fallbackEtaSec);
        await this.change(r.conversation, undefined, (state, sessionId, at) => {
          const t = state.handoff?.id === r.handoffId ? machine.waitingUpdate(state.handoff, place, eta, at, this.settings.updateEveryMs, sessionId) : undefined;
          return t ? { entries: t.entries, value: stateWith(state, { handoff: t.handoff! }), result: undefined } : { entries: [], result: undefined };
        });
      } catch (err) {
        this.deps.log.warn({ err, handoff: r.handoffId }, 'handoff.sweep_failed');
      }
    }
  }

  private ending(state: ConversationState, handoffId: string, reason: HandoffEndReason, sessionId: string | undefined, now: number): Change<undefined> {
    const t = machine.end(state.handoff, handoffId, reason, now, sessionId);
    const { handoff: _h, ...botOwned } = state;
    // The bot speaks again after the end (an offer of a ticket when nobody came), except when the user went quiet.
    return { entries: t.entries, value: botOwned, result: undefined, ...(reason === 'userIdle' ? {} : { then: { type: 'handoff_ended' as const, reason } }) };
  }

  /** Run a planned change of one conversation as `agent` (undefined: the desk itself). */
  private async change<T>(conversation: ConversationRef, agent: AgentRef | undefined, plan: (state: ConversationState, sessionId: string | undefined, now: number) => Change<T>): Promise<T> {
    const ctx: TurnContext = { conversation, deviceId: agent ? agentDevice(agent.id) : 'desk' };
    return this.deps.service.change(ctx, (snap, sessionId, now) => plan(snap.value, sessionId, now));
  }
}

/** A stored agent message (its entry id), or a re-send of one already stored (at `seq`). */
export type Said = { readonly id: string; readonly duplicate: false } | { readonly seq: number; readonly duplicate: true };

/** The device id an agent's entries carry (their messages are deduplicated per agent). */
export const agentDevice = (agentId: string): string => `agent:${agentId}`;
