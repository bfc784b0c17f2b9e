import type { AgentPresence, Presence, PresenceRecord } from '../../core/ports/presence.js';
import type { RedisConnections } from './client.js';
import { LUA_NOW_MS, Script } from './script.js';

/** KEYS: agents (zset id → expiry ms), info (hash id → JSON) · ARGV: id, ttl ms, JSON → expiry. */
const HEARTBEAT = new Script(`${LUA_NOW_MS}
local expires = now + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], expires, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return expires`);

/** Drop expired agents, then return the live ones: {id, expiry, JSON, …}, or only ARGV[1] when given. */
const LIVE = new Script(`${LUA_NOW_MS}
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #gone > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  for _, id in ipairs(gone) do redis.call('HDEL', KEYS[2], id) end
end
local out = {}
local ids
if ARGV[1] ~= '' then ids = {ARGV[1]} else ids = redis.call('ZRANGE', KEYS[1], 0, -1) end
for _, id in ipairs(ids) do
  local expires = redis.call('ZSCORE', KEYS[1], id)
  local info = redis.call('HGET', KEYS[2], id)
  if expires and info then
    table.insert(out, id)
    table.insert(out, expires)
    table.insert(out, info)
  end
end
return out`);

const LEAVE = new Script(`redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1`);

/**
 * {@link Presence} on Redis: a sorted set of agents by expiry (Redis clock, so every node agrees on who is
 * gone) and a hash of what each announced. Reads drop the expired ones first.
 */
export class RedisPresence implements Presence {
  private readonly keys: [string, string];

  constructor(private readonly redis: RedisConnections) {
    this.keys = [redis.key('presence:agents'), redis.key('presence:info')];
  }

  async heartbeat(agent: AgentPresence, ttlMs: number): Promise<void> {
    const info: AgentPresence = { agentId: agent.agentId, status: agent.status, queues: [...agent.queues], capacity: agent.capacity, active: agent.active, node: agent.node };
    await HEARTBEAT.run(this.redis.cmd, this.keys, [agent.agentId, Math.max(1, Math.ceil(ttlMs)), JSON.stringify(info)]);
  }

  async leave(agentId: string): Promise<void> {
    await LEAVE.run(this.redis.cmd, this.keys, [agentId]);
  }

  async get(agentId: string): Promise<PresenceRecord | null> {
    if (agentId === '') return null;
    return (await this.live(agentId))[0] ?? null;
  }

  async list(queue?: string): Promise<readonly PresenceRecord[]> {
    const all = await this.live('');
    return all.filter((r) => queue === undefined || r.queues.includes(queue)).sort((a, b) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0));
  }

  /** The connections belong to the node. */
  async close(): Promise<void> {}

  private async live(only: string): Promise<PresenceRecord[]> {
    const flat = (await LIVE.run(this.redis.cmd, this.keys, [only])) as string[];
    const out: PresenceRecord[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) out.push({ ...(JSON.parse(flat[i + 2]!) as AgentPresence), expiresAt: Number(flat[i + 1]) });
    return out;
  }
}
