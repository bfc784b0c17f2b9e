import type { ConversationRef } from '../model.js';

/** An agent who may sign in to the agent console (or whose token a connector uses). */
export interface AgentAccount {
  readonly id: string;
  readonly name: string;
  /** A slow hash of the password (`scrypt$…`, see auth/passwords); absent: the account signs in with tokens only. */
  readonly passwordHash?: string;
  /** Queues the agent takes conversations from. */
  readonly queues: readonly string[];
  /** Conversations the agent may handle at once. */
  readonly capacity: number;
  readonly createdAt: number;
}

/**
 * Where a handed-off conversation is, as the desk finds it: an index of the handoffs that are open. The
 * conversation's state row is the truth (changed under its lock); this index only lets the desk list queues
 * and find a conversation by handoff id. A stale record is checked against the state and dropped.
 */
export interface HandoffRecord {
  readonly handoffId: string;
  readonly conversation: ConversationRef;
  readonly queue: string;
  readonly status: 'queued' | 'agent';
  /** `agent`: the owner; `queued` after a transfer to one agent: that agent. */
  readonly agentId?: string;
  readonly reason?: string;
  readonly note?: string;
  /** When the user first asked, when the conversation entered its queue, when an agent joined. */
  readonly requestedAt: number;
  readonly queuedAt: number;
  readonly joinedAt?: number;
}

/**
 * The live-agent desk's records: agent accounts and the index of open handoffs. SQLite for one node,
 * PostgreSQL for a cluster. Guarantees (checked by `core/testing/desk-store-suite`): what one instance writes
 * every instance on the same database reads; `putHandoff` replaces the record of its handoff id.
 */
export interface DeskStore {
  agent(id: string): Promise<AgentAccount | null>;
  /** Ordered by id. */
  agents(): Promise<AgentAccount[]>;
  /** Create or replace. */
  saveAgent(agent: AgentAccount): Promise<void>;
  deleteAgent(id: string): Promise<boolean>;
  putHandoff(record: HandoffRecord): Promise<void>;
  removeHandoff(handoffId: string): Promise<void>;
  handoff(handoffId: string): Promise<HandoffRecord | null>;
  /** Every open handoff, longest waiting (`queuedAt`) first. */
  handoffs(): Promise<HandoffRecord[]>;
}
