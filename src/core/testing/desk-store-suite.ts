import assert from 'node:assert/strict';
import type { AgentAccount, DeskStore, HandoffRecord } from '../ports/desk-store.js';
import type { Suite } from './suite.js';

export interface DeskStoreCtx {
  /** Two handles on the same database (two nodes, or the CLI and a server); may be the same object. */
  readonly writer: DeskStore;
  readonly reader: DeskStore;
}

let n = 0;
const unique = (p: string) => `${p}-${process.pid}-${Date.now().toString(36)}-${++n}`;

const record = (over: Partial<HandoffRecord> = {}): HandoffRecord => {
  const id = unique('h');
  return {
    handoffId: id,
    conversation: { id: `c-${id}`, botId: 'st-1', userId: 'u-1' },
    queue: 'it',
    status: 'queued',
    requestedAt: 1_000,
    queuedAt: 1_000,
    ...over,
  };
};

/** What every DeskStore must do. */
export const deskStoreSuite: Suite<DeskStoreCtx> = [
  {
    name: 'an agent account is read back field for field by another handle, replaced by a save, and deleted once',
    async run({ writer, reader }) {
      const full: AgentAccount = { id: unique('ag'), name: 'Dana Q', passwordHash: 'scrypt$x$y', queues: ['it', 'hr'], capacity: 3, createdAt: 1_700_000_000_000 };
      const bare: AgentAccount = { id: unique('ag'), name: 'Sam', queues: [], capacity: 1, createdAt: 1_700_000_000_001 };
      await writer.saveAgent(full);
      await writer.saveAgent(bare);
      assert.deepEqual(await reader.agent(full.id), full);
      assert.deepEqual(await reader.agent(bare.id), bare);
      assert.equal(await reader.agent(unique('ag')), null);
      const ids = (await reader.agents()).map((a) => a.id);
      const sorted = [full.id, bare.id].sort();
      assert.ok(ids.indexOf(sorted[0]!) >= 0 && ids.indexOf(sorted[0]!) < ids.indexOf(sorted[1]!), 'agents() ordered by id');
      await writer.saveAgent({ ...full, capacity: 5, queues: ['it'] });
      assert.deepEqual(await reader.agent(full.id), { ...full, capacity: 5, queues: ['it'] });
      assert.equal(await writer.deleteAgent(full.id), true);
      assert.equal(await writer.deleteAgent(full.id), false);
      assert.equal(await reader.agent(full.id), null);
    },
  },
  {
    name: 'handoff records: put replaces by id, listed longest waiting first, removed for every handle',
    async run({ writer, reader }) {
      const late = record({ queuedAt: 3_000, requestedAt: 2_000, reason: 'printer', note: 'VIP' });
      const early = record({ queuedAt: 2_000 });
      await writer.putHandoff(late);
      await writer.putHandoff(early);
      assert.deepEqual(await reader.handoff(late.handoffId), late);
      const mine = (await reader.handoffs()).filter((r) => r.handoffId === late.handoffId || r.handoffId === early.handoffId);
      assert.deepEqual(mine.map((r) => r.handoffId), [early.handoffId, late.handoffId]);
      const joined: HandoffRecord = { ...late, status: 'agent', agentId: 'ag-1', joinedAt: 4_000 };
      await writer.putHandoff(joined);
      assert.deepEqual(await reader.handoff(late.handoffId), joined);
      await writer.removeHandoff(late.handoffId);
      await writer.removeHandoff(late.handoffId);
      assert.equal(await reader.handoff(late.handoffId), null);
      assert.ok(!(await reader.handoffs()).some((r) => r.handoffId === late.handoffId));
      await writer.removeHandoff(early.handoffId);
    },
  },
];
