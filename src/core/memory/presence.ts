import type { Clock } from '../ports/clock.js';
import type { AgentPresence, Presence, PresenceRecord } from '../ports/presence.js';
import { systemClock } from './clock.js';

/** Agents of this process only (a single node); expired records are dropped when read. */
export class MemoryPresence implements Presence {
  private readonly agents = new Map<string, PresenceRecord>();

  constructor(private readonly clock: Clock = systemClock) {}

  async heartbeat(agent: AgentPresence, ttlMs: number): Promise<void> {
    this.agents.set(agent.agentId, { ...agent, queues: [...agent.queues], expiresAt: this.clock.now() + ttlMs });
  }

  async leave(agentId: string): Promise<void> {
    this.agents.delete(agentId);
  }

  async get(agentId: string): Promise<PresenceRecord | null> {
    return this.live(agentId);
  }

  async list(queue?: string): Promise<readonly PresenceRecord[]> {
    const out: PresenceRecord[] = [];
    for (const id of [...this.agents.keys()].sort()) {
      const r = this.live(id);
      if (r && (queue === undefined || r.queues.includes(queue))) out.push(r);
    }
    return out;
  }

  async close(): Promise<void> {
    this.agents.clear();
  }

  private live(agentId: string): PresenceRecord | null {
    const r = this.agents.get(agentId);
    if (!r) return null;
    if (r.expiresAt <= this.clock.now()) {
      this.agents.delete(agentId);
      return null;
    }
    return r;
  }
}
