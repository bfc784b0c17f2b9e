import type { AgentAccount, DeskStore, HandoffRecord } from '../../core/ports/desk-store.js';
import { agentJson, handoffJson, toAgent, toHandoff, type AgentRow, type HandoffRow } from '../shared/desk-rows.js';
import type { Db } from './database.js';

/** The live-agent desk's accounts and handoff index in the SQLite file (one node; the CLI writes here too). */
export class SqliteDeskStore implements DeskStore {
  private readonly stmt;

  constructor(db: Db) {
    this.stmt = {
      agent: db.prepare<[string], AgentRow>('SELECT * FROM agents WHERE id = ?'),
      agents: db.prepare<[], AgentRow>('SELECT * FROM agents ORDER BY id'),
      saveAgent: db.prepare('INSERT INTO agents (id, account) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET account = excluded.account'),
      deleteAgent: db.prepare('DELETE FROM agents WHERE id = ?'),
      handoff: db.prepare<[string], HandoffRow>('SELECT * FROM handoffs WHERE id = ?'),
      handoffs: db.prepare<[], HandoffRow>('SELECT * FROM handoffs ORDER BY queued_at, id'),
      put: db.prepare(
        'INSERT INTO handoffs (id, queued_at, record) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET queued_at = excluded.queued_at, record = excluded.record',
      ),
      remove: db.prepare('DELETE FROM handoffs WHERE id = ?'),
    };
  }

  async agent(id: string): Promise<AgentAccount | null> {
    const row = this.stmt.agent.get(id);
    return row ? toAgent(row) : null;
  }

  async agents(): Promise<AgentAccount[]> {
    return this.stmt.agents.all().map(toAgent);
  }

  async saveAgent(agent: AgentAccount): Promise<void> {
    this.stmt.saveAgent.run(agent.id, agentJson(agent));
  }

  async deleteAgent(id: string): Promise<boolean> {
    return this.stmt.deleteAgent.run(id).changes > 0;
  }

  async putHandoff(record: HandoffRecord): Promise<void> {
    this.stmt.put.run(record.handoffId, record.queuedAt, handoffJson(record));
  }

  async removeHandoff(handoffId: string): Promise<void> {
    this.stmt.remove.run(handoffId);
  }

  async handoff(handoffId: string): Promise<HandoffRecord | null> {
    const row = this.stmt.handoff.get(handoffId);
    return row ? toHandoff(row) : null;
  }

  async handoffs(): Promise<HandoffRecord[]> {
    return this.stmt.handoffs.all().map(toHandoff);
  }
}
