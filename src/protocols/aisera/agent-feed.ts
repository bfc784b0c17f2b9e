import { Coalesced } from '../../core/coalesced.js';
import type { HandoffDesk } from '../../core/handoff/desk.js';
import type { Clock } from '../../core/ports/clock.js';
import type { HandoffRecord } from '../../core/ports/desk-store.js';
import type { Logger } from '../../core/ports/logger.js';
import type { ConversationStore } from '../../core/ports/store.js';
import { transcriptOf, waitingForAgent, type AgentFrame, type TranscriptItem } from './liveagent.js';

/** An agent principal's socket, listening for new handoffs of its channel's bot. */
export interface HandoffListener {
  readonly id: string;
  readonly agentId: string;
  readonly botId: string;
  readonly channelId: string;
  send(frame: AgentFrame): void;
}

/** Messages of the transcript a waiting handoff is announced with. */
const TRANSCRIPT = 20;

/**
 * New handoffs for the agents connected to this node: the desk's index (shared by every node of a cluster —
 * the user may be on another node) is read about once a second while an agent listens, and every waiting
 * handoff a listener has not been told of yet — a new one, or one back in a queue after a transfer — goes
 * to it as a `LiveAgentWaiting` frame. A handoff transferred to one agent goes to that agent only. A new
 * listener is told of every handoff waiting now.
 */
export class AgentFeed {
  private readonly listeners = new Map<string, { readonly l: HandoffListener; readonly told: Set<string> }>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly polls = new Coalesced(
    () => this.once(),
    (err) => this.deps.log.warn({ err }, 'aisera.agent_feed_failed'),
  );

  constructor(
    private readonly deps: { readonly desk: HandoffDesk; readonly store: ConversationStore; readonly clock: Clock; readonly log: Logger },
    private readonly everyMs = 1000,
  ) {}

  get size(): number {
    return this.listeners.size;
  }

  add(l: HandoffListener): void {
    if (this.listeners.has(l.id)) return;
    this.listeners.set(l.id, { l, told: new Set() });
    if (!this.timer) {
      this.timer = setInterval(() => void this.poll(), this.everyMs);
      this.timer.unref();
    }
    void this.poll();
  }

  remove(id: string): void {
    this.listeners.delete(id);
    if (this.listeners.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  stop(): void {
    this.listeners.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Read the index once and tell every listener what it has not heard of. Polls asked for meanwhile run once after. */
  poll(): Promise<void> {
    return this.polls.run();
  }

  private async once(): Promise<void> {
    if (this.listeners.size === 0) return;
    const waiting = (await this.deps.desk.open()).filter((r) => r.status === 'queued');
    const keys = new Set(waiting.map(keyOf));
    const transcripts = new Map<string, TranscriptItem[]>();
    const now = this.deps.clock.now();
    for (const { l, told } of this.listeners.values()) {
      for (const k of told) if (!keys.has(k)) told.delete(k);
      for (const r of waiting) {
        const k = keyOf(r);
        if (told.has(k) || r.conversation.botId !== l.botId || (r.agentId !== undefined && r.agentId !== l.agentId)) continue;
        told.add(k);
        let transcript = transcripts.get(r.handoffId);
        if (!transcript) {
          transcript = transcriptOf((await this.deps.store.readMessages(r.conversation.id, { offset: 0, limit: TRANSCRIPT })).entries);
          transcripts.set(r.handoffId, transcript);
        }
        if (this.listeners.has(l.id)) l.send(waitingForAgent(r, transcript, { agentId: l.agentId, channelId: l.channelId }, now));
      }
    }
  }
}

/** A wait: the handoff and when it entered its queue (a transfer makes a new wait). */
const keyOf = (r: HandoffRecord): string => `${r.handoffId}@${r.queuedAt}`;
