import assert from 'node:assert/strict';
import type { AgentPresence, Presence } from '../ports/presence.js';
import { sleep, type Suite } from './suite.js';

export interface PresenceCtx {
  /** Two handles on the same presence (two nodes); for an in-process one they may be the same object. */
  readonly a: Presence;
  readonly b: Presence;
}

let n = 0;
/** Agent ids unique to one case, so cases can share an instance. */
const agentIds = () => {
  n += 1;
  const base = `agent-${process.pid}-${Date.now()}-${n}`;
  return (k: string) => `${base}-${k}`;
};

const agent = (agentId: string, over: Partial<AgentPresence> = {}): AgentPresence => ({
  agentId,
  status: 'available',
  queues: ['billing'],
  capacity: 3,
  active: 0,
  node: 'n-1',
  ...over,
});

const strip = ({ expiresAt: _e, ...rest }: AgentPresence & { expiresAt: number }) => rest;

/** What every Presence must do. */
export const presenceSuite: Suite<PresenceCtx> = [
  {
    name: 'an announced agent is seen by every node, with what it announced',
    async run({ a, b }) {
      const id = agentIds();
      const before = Date.now();
      await a.heartbeat(agent(id('x'), { status: 'busy', queues: ['billing', 'sales'], active: 2 }), 10_000);
      const seen = await b.get(id('x'));
      assert.ok(seen, 'the other node does not see the agent');
      assert.deepEqual(strip(seen), agent(id('x'), { status: 'busy', queues: ['billing', 'sales'], active: 2 }));
      assert.ok(seen.expiresAt >= before + 9_000 && seen.expiresAt <= Date.now() + 11_000, `expiresAt ${seen.expiresAt}`);
      assert.equal(await b.get(id('nobody')), null);
    },
  },
  {
    name: 'a heartbeat replaces the record and extends its life',
    async run({ a, b }) {
      const id = agentIds();
      await a.heartbeat(agent(id('x')), 200);
      await sleep(120);
      await b.heartbeat(agent(id('x'), { status: 'away', node: 'n-2' }), 200);
      await sleep(120);
      const seen = await a.get(id('x'));
      assert.ok(seen, 'a refreshed agent expired with its first heartbeat');
      assert.equal(seen.status, 'away');
      assert.equal(seen.node, 'n-2');
    },
  },
  {
    name: 'an agent without heartbeats expires; one that leaves is gone at once',
    async run({ a, b }) {
      const id = agentIds();
      await a.heartbeat(agent(id('short')), 80);
      await a.heartbeat(agent(id('leaving')), 10_000);
      await b.leave(id('leaving'));
      assert.equal(await a.get(id('leaving')), null);
      await sleep(200);
      assert.equal(await b.get(id('short')), null);
      const listed = (await b.list()).map((r) => r.agentId);
      assert.ok(!listed.includes(id('short')) && !listed.includes(id('leaving')), `listed: ${listed.join(', ')}`);
    },
  },
  {
    name: 'list gives the live agents of a queue, ordered by id',
    async run({ a, b }) {
      const id = agentIds();
      const queue = `q-${id('queue')}`;
      await a.heartbeat(agent(id('c'), { queues: [queue] }), 10_000);
      await b.heartbeat(agent(id('a'), { queues: ['other', queue] }), 10_000);
      await a.heartbeat(agent(id('b'), { queues: ['other'] }), 10_000);
      assert.deepEqual((await b.list(queue)).map((r) => r.agentId), [id('a'), id('c')]);
      const all = (await a.list()).map((r) => r.agentId);
      for (const k of ['a', 'b', 'c']) assert.ok(all.includes(id(k)), `${k} missing from list()`);
      assert.deepEqual(all, [...all].sort());
    },
  },
];
