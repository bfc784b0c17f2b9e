import type { HandoffRecord } from '../ports/desk-store.js';
import type { AgentStatus } from '../ports/presence.js';

export interface RoutableAgent {
  readonly agentId: string;
  readonly status: AgentStatus;
  readonly queues: readonly string[];
  readonly capacity: number;
}

/**
 * Who should take which waiting conversation: the longest-waiting first, each to the least-busy available
 * agent of its queue with room left (ties: agent id), a transfer to one agent only to that agent. Pure and
 * deterministic, so every node computes the same offers from the same index and presence.
 * `open`: every open handoff (agent chats count towards their agent's load).
 */
export function assign(open: readonly HandoffRecord[], agents: readonly RoutableAgent[]): Map<string, string> {
  const load = new Map<string, number>();
  for (const r of open) if (r.status === 'agent' && r.agentId !== undefined) load.set(r.agentId, (load.get(r.agentId) ?? 0) + 1);
  const ready = agents.filter((a) => a.status === 'available').sort((a, b) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0));
  const room = (a: RoutableAgent) => a.capacity - (load.get(a.agentId) ?? 0);
  const offers = new Map<string, string>();
  const waiting = open.filter((r) => r.status === 'queued').sort((a, b) => a.queuedAt - b.queuedAt || (a.handoffId < b.handoffId ? -1 : 1));
  for (const r of waiting) {
    let best: RoutableAgent | undefined;
    for (const a of ready) {
      if (room(a) <= 0) continue;
      if (r.agentId !== undefined ? a.agentId !== r.agentId : !a.queues.includes(r.queue)) continue;
      if (!best || (load.get(a.agentId) ?? 0) < (load.get(best.agentId) ?? 0)) best = a;
    }
    if (!best) continue;
    offers.set(r.handoffId, best.agentId);
    load.set(best.agentId, (load.get(best.agentId) ?? 0) + 1);
  }
  return offers;
}

/** Each waiting conversation's place in its queue (1 = next), in waiting order. */
export function positions(open: readonly HandoffRecord[]): Map<string, number> {
  const next = new Map<string, number>();
  const out = new Map<string, number>();
  for (const r of open) {
    if (r.status !== 'queued') continue;
    const p = (next.get(r.queue) ?? 0) + 1;
    next.set(r.queue, p);
    out.set(r.handoffId, p);
  }
  return out;
}

/**
 * Estimated wait of a place in a queue: the place times the average time agents took to pick up the
 * conversations they now hold (or `fallbackSec` when nobody holds one yet), in whole seconds.
 */
export function etaSec(position: number, open: readonly HandoffRecord[], fallbackSec: number): number {
  const waits = open.filter((r) => r.status === 'agent' && r.joinedAt !== undefined).map((r) => r.joinedAt! - r.queuedAt);
  const avg = waits.length > 0 ? waits.reduce((a, b) => a + b, 0) / waits.length / 1000 : fallbackSec;
  return Math.max(1, Math.round(position * Math.max(1, avg)));
}
