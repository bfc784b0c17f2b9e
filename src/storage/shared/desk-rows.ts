import type { AgentAccount, HandoffRecord } from '../../core/ports/desk-store.js';

/**
 * Rows of the desk tables, read the same way by both SQL stores: each record is one JSON column (small,
 * read whole, never queried inside), beside the columns the stores order by.
 */
export interface AgentRow {
  readonly id: string;
  readonly account: string;
}
export interface HandoffRow {
  readonly id: string;
  readonly queued_at: number | string;
  readonly record: string;
}

export const toAgent = (row: AgentRow): AgentAccount => JSON.parse(row.account) as AgentAccount;
export const toHandoff = (row: HandoffRow): HandoffRecord => JSON.parse(row.record) as HandoffRecord;
export const agentJson = (a: AgentAccount): string => JSON.stringify(a);
export const handoffJson = (r: HandoffRecord): string => JSON.stringify(r);
