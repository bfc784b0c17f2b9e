/** How an agent is doing right now, as the agent console reports it. */
export type AgentStatus = 'available' | 'busy' | 'away';

/** One agent as the cluster sees it: announced by the node holding the agent's console, kept alive by heartbeats. */
export interface AgentPresence {
  readonly agentId: string;
  readonly status: AgentStatus;
  /** Queues (skills, bots) the agent takes conversations from. */
  readonly queues: readonly string[];
  /** Conversations the agent may handle at once, and how many it handles now. */
  readonly capacity: number;
  readonly active: number;
  /** The node that holds the agent's console connection. */
  readonly node: string;
}

/** An agent's presence with its expiry (epoch ms): gone at that time unless a heartbeat came first. */
export interface PresenceRecord extends AgentPresence {
  readonly expiresAt: number;
}

/**
 * Agent availability, shared by every node. Each entry lives `ttlMs` after its last heartbeat, so an agent
 * whose node died disappears by itself. Guarantees (checked by `core/testing/presence-suite`): a heartbeat
 * replaces the agent's record; an expired or withdrawn agent is never listed; every node sees the same set.
 */
export interface Presence {
  /** Announce or refresh an agent; it is listed until `ttlMs` after the last heartbeat. */
  heartbeat(agent: AgentPresence, ttlMs: number): Promise<void>;
  /** The agent signed off (or its console closed): gone at once. */
  leave(agentId: string): Promise<void>;
  get(agentId: string): Promise<PresenceRecord | null>;
  /** Live agents (those serving `queue`, when given), ordered by agent id. */
  list(queue?: string): Promise<readonly PresenceRecord[]>;
  close(): Promise<void>;
}
