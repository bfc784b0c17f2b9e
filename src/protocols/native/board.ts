import { credentialStamp } from '../../auth/agent-token.js';
import { Coalesced } from '../../core/coalesced.js';
import { assign, positions, type RoutableAgent } from '../../core/handoff/routing.js';
import type { AgentAccount, HandoffRecord } from '../../core/ports/desk-store.js';
import type { AgentStatus, PresenceRecord } from '../../core/ports/presence.js';
import type { PresenceView, WaitingView } from './encode.js';
import type { NativeRuntime } from './runtime.js';

/** What the board tells each console every round. */
export interface BoardRound {
  readonly now: number;
  readonly open: readonly HandoffRecord[];
  /** handoffId → the agent routing offers it to. */
  readonly offers: ReadonlyMap<string, string>;
  readonly places: ReadonlyMap<string, number>;
  readonly agents: readonly PresenceView[];
  /** Every agent account (names for the transfer dialog) and every queue any agent serves. */
  readonly directory: readonly { readonly id: string; readonly name: string }[];
  readonly queueNames: readonly string[];
  /** agent id → the credential stamp of its password now (never sent to a console). */
  readonly credentials: ReadonlyMap<string, string>;
}

/** One console connection as the board sees it. */
export interface BoardMember {
  readonly account: AgentAccount;
  readonly status: 'available' | 'away';
  /** The round's view, pushed to the console if it changed; also where owned chats opened elsewhere are found. */
  round(r: BoardRound): void;
}

/** The waiting conversations `agent` may take (its queues, or transferred to it by name), oldest first. */
export function waitingFor(agent: AgentAccount, r: BoardRound): WaitingView[] {
  const out: WaitingView[] = [];
  for (const h of r.open) {
    if (h.status !== 'queued') continue;
    if (h.agentId !== undefined ? h.agentId !== agent.id : !agent.queues.includes(h.queue)) continue;
    out.push({
      handoffId: h.handoffId,
      queue: h.queue,
      ...(h.reason !== undefined ? { reason: h.reason } : {}),
      ...(h.note !== undefined ? { note: h.note } : {}),
      queuedAt: h.queuedAt,
      waitedMs: Math.max(0, r.now - h.queuedAt),
      position: r.places.get(h.handoffId) ?? 0,
      offeredToYou: r.offers.get(h.handoffId) === agent.id,
      forYou: h.agentId === agent.id,
    });
  }
  return out;
}

/**
 * The agent consoles of this node: their presence (a heartbeat per agent while any of its consoles is
 * connected, `leave` when the last one closes) and the queue board — every `boardEveryMs` the shared handoff
 * index and presence are read once and each console gets its view. Reading shared state (not this node's
 * memory) makes it work in a cluster: a conversation queued on node A shows on a console held by node B.
 */
export class Board {
  private readonly members = new Map<string, Set<BoardMember>>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private beat: ReturnType<typeof setInterval> | undefined;
  private readonly rounds = new Coalesced(
    () => this.round(),
    (err) => this.rt.log.warn({ err }, 'agent.board_failed'),
  );

  constructor(private readonly rt: NativeRuntime) {}

  join(m: BoardMember): void {
    let set = this.members.get(m.account.id);
    if (!set) this.members.set(m.account.id, (set = new Set()));
    set.add(m);
    this.start();
    this.announce(m.account.id);
    this.poke();
  }

  leave(m: BoardMember): void {
    const set = this.members.get(m.account.id);
    if (!set?.delete(m)) return;
    if (set.size === 0) {
      this.members.delete(m.account.id);
      this.rt.presence.leave(m.account.id).catch((err: unknown) => this.rt.log.warn({ err, agent: m.account.id }, 'agent.presence_failed'));
    } else this.announce(m.account.id);
    if (this.members.size === 0) this.stop();
    this.poke();
  }

  /** Refresh an agent's presence now (status or load changed). */
  announce(agentId: string, active?: number): void {
    const set = this.members.get(agentId);
    if (!set || set.size === 0) return;
    const account = [...set][0]!.account;
    const available = [...set].some((m) => m.status === 'available');
    const known = active ?? this.load.get(agentId) ?? 0;
    const status: AgentStatus = !available ? 'away' : known >= account.capacity ? 'busy' : 'available';
    this.rt.presence
      .heartbeat({ agentId, status, queues: account.queues, capacity: account.capacity, active: known, node: this.rt.node }, this.rt.settings.presenceTtlMs)
      .catch((err: unknown) => this.rt.log.warn({ err, agent: agentId }, 'agent.presence_failed'));
  }

  /** Run a round soon (something changed); rounds never overlap. */
  poke(): void {
    void this.rounds.run();
  }

  close(): void {
    this.stop();
    for (const id of this.members.keys()) void this.rt.presence.leave(id).catch(() => {});
    this.members.clear();
  }

  /** Chats each agent holds, as of the last round. */
  private load = new Map<string, number>();

  private async round(): Promise<void> {
    if (this.members.size === 0) return;
    const [open, live, accounts] = await Promise.all([this.rt.desk.open(), this.rt.presence.list(), this.rt.accounts.agents()]);
    const load = new Map<string, number>();
    for (const r of open) if (r.status === 'agent' && r.agentId !== undefined) load.set(r.agentId, (load.get(r.agentId) ?? 0) + 1);
    for (const id of this.members.keys()) if ((this.load.get(id) ?? 0) !== (load.get(id) ?? 0)) this.announce(id, load.get(id) ?? 0);
    this.load = load;
    const routable: RoutableAgent[] = live.map((p: PresenceRecord) => ({ agentId: p.agentId, status: p.status, queues: p.queues, capacity: p.capacity }));
    const r: BoardRound = {
      now: this.rt.clock.now(),
      open,
      offers: assign(open, routable),
      places: positions(open),
      agents: live.map((p) => ({ id: p.agentId, status: p.status, queues: p.queues, capacity: p.capacity, active: load.get(p.agentId) ?? 0 })),
      directory: accounts.map((a) => ({ id: a.id, name: a.name })),
      queueNames: [...new Set(accounts.flatMap((a) => a.queues))].sort(),
      credentials: new Map(accounts.map((a) => [a.id, credentialStamp(a.passwordHash)])),
    };
    for (const set of this.members.values()) for (const m of set) m.round(r);
  }

  private start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.poke(), this.rt.settings.boardEveryMs);
    this.timer.unref();
    this.beat = setInterval(() => {
      for (const id of this.members.keys()) this.announce(id);
    }, this.rt.settings.heartbeatMs);
    this.beat.unref();
  }

  private stop(): void {
    clearInterval(this.timer);
    clearInterval(this.beat);
    this.timer = undefined;
    this.beat = undefined;
  }
}
