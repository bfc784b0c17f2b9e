import type { AgentAccount, DeskStore, HandoffRecord } from '../ports/desk-store.js';

/** {@link DeskStore} in process memory (tests; a single node that needs nothing kept). */
export class MemoryDeskStore implements DeskStore {
  private readonly accounts = new Map<string, AgentAccount>();
  private readonly open = new Map<string, HandoffRecord>();

  async agent(id: string): Promise<AgentAccount | null> {
    return this.accounts.get(id) ?? null;
  }

  async agents(): Promise<AgentAccount[]> {
    return [...this.accounts.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async saveAgent(agent: AgentAccount): Promise<void> {
    this.accounts.set(agent.id, agent);
  }

  async deleteAgent(id: string): Promise<boolean> {
    return this.accounts.delete(id);
  }

  async putHandoff(record: HandoffRecord): Promise<void> {
    this.open.set(record.handoffId, record);
  }

  async removeHandoff(handoffId: string): Promise<void> {
    this.open.delete(handoffId);
  }

  async handoff(handoffId: string): Promise<HandoffRecord | null> {
    return this.open.get(handoffId) ?? null;
  }

  async handoffs(): Promise<HandoffRecord[]> {
    return [...this.open.values()].sort(byWaiting);
  }
}

/** Longest waiting first; ties by id, so every node orders alike. */
export const byWaiting = (a: HandoffRecord, b: HandoffRecord): number =>
  a.queuedAt - b.queuedAt || (a.handoffId < b.handoffId ? -1 : a.handoffId > b.handoffId ? 1 : 0);
