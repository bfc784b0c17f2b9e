import type { AgentAccount, DeskStore, HandoffRecord } from '../../core/ports/desk-store.js';
import { agentJson, handoffJson, toAgent, toHandoff, type AgentRow, type HandoffRow } from '../shared/desk-rows.js';
import type { Pool } from './database.js';

/** The live-agent desk's accounts and handoff index on PostgreSQL (shared by every node of a cluster). */
export class PostgresDeskStore implements DeskStore {
  constructor(private readonly pool: Pool) {}

  async agent(id: string): Promise<AgentAccount | null> {
    const { rows } = await this.pool.query<AgentRow>({ name: 'desk_agent', text: 'SELECT * FROM agents WHERE id = $1', values: [id] });
    return rows[0] ? toAgent(rows[0]) : null;
  }

  async agents(): Promise<AgentAccount[]> {
    const { rows } = await this.pool.query<AgentRow>('SELECT * FROM agents ORDER BY id');
    return rows.map(toAgent);
  }

  async saveAgent(agent: AgentAccount): Promise<void> {
    await this.pool.query('INSERT INTO agents (id, account) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET account = excluded.account', [agent.id, agentJson(agent)]);
  }

  async deleteAgent(id: string): Promise<boolean> {
    const r = await this.pool.query('DELETE FROM agents WHERE id = $1', [id]);
    return (r.rowCount ?? 0) > 0;
  }

  async putHandoff(record: HandoffRecord): Promise<void> {
    await this.pool.query({
      name: 'desk_put_handoff',
      text: 'INSERT INTO handoffs (id, queued_at, record) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET queued_at = excluded.queued_at, record = excluded.record',
      values: [record.handoffId, record.queuedAt, handoffJson(record)],
    });
  }

  async removeHandoff(handoffId: string): Promise<void> {
    await this.pool.query({ name: 'desk_remove_handoff', text: 'DELETE FROM handoffs WHERE id = $1', values: [handoffId] });
  }

  async handoff(handoffId: string): Promise<HandoffRecord | null> {
    const { rows } = await this.pool.query<HandoffRow>({ name: 'desk_handoff', text: 'SELECT * FROM handoffs WHERE id = $1', values: [handoffId] });
    return rows[0] ? toHandoff(rows[0]) : null;
  }

  async handoffs(): Promise<HandoffRecord[]> {
    const { rows } = await this.pool.query<HandoffRow>({ name: 'desk_handoffs', text: 'SELECT * FROM handoffs ORDER BY queued_at, id' });
    return rows.map(toHandoff);
  }
}
