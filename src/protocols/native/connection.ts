import { CoreError, toCoreError } from '../../core/errors.js';
import type { Subscriber } from '../../core/fanout/hub.js';
import type { PickedUp } from '../../core/handoff/desk.js';
import type { AgentRef, Entry, HandoffEndReason } from '../../core/model.js';
import type { AgentAccount, HandoffRecord } from '../../core/ports/desk-store.js';
import type { ConnectionHandler, Link } from '../../core/ports/link.js';
import type { Logger } from '../../core/ports/logger.js';
import { waitingFor, type Board, type BoardMember, type BoardRound } from './board.js';
import { decodeClientFrame, isRefused, type ClientFrame } from './decode.js';
import { ackFrame, chatFrame, chatView, endedFrame, entryFrame, errorFrame, helloFrame, pongFrame, queuesFrame } from './encode.js';
import type { NativeRuntime } from './runtime.js';

const VIOLATION_WINDOW_MS = 60_000;
/** Entries read when a console resumes a chat that ended while it was away. */
const RECOVER_PAGE = 500;

/** The `agent_session_end` of handoff `handoffId`, if `e` is it. */
function endOf(e: Entry, handoffId: string): { reason: HandoffEndReason; agent?: AgentRef } | undefined {
  if (e.body.kind !== 'event' || e.body.name !== 'agent_session_end') return undefined;
  const h = e.body.detail?.handoff;
  if (h?.id !== handoffId) return undefined;
  return { reason: h.ended ?? 'agentCompleted', ...(h.agent ? { agent: h.agent } : {}) };
}

/** One chat a console follows: the conversation's log from a seq, until its handoff ends. */
class Follow implements Subscriber {
  readonly id: string;
  private done = false;

  constructor(
    private readonly conn: AgentConnection,
    readonly handoffId: string,
    readonly conversationId: string,
    linkId: string,
  ) {
    this.id = `${linkId}:${handoffId}`;
  }

  deliver(entries: readonly Entry[]): void {
    for (const e of entries) {
      if (this.done) return;
      this.conn.push(entryFrame(this.handoffId, e));
      const end = endOf(e, this.handoffId);
      if (end) {
        this.done = true;
        this.conn.ended(this, end.reason, end.agent);
      }
    }
  }
}

/**
 * One agent console socket (docs/protocols/native.md). Frames are handled one at a time, in order; every
 * change goes through the {@link HandoffDesk}, which decides races (a second pick-up gets
 * HANDOFF_STATE_CONFLICT). Each owned chat is a hub subscriber, so the console sees every entry of the
 * conversation — from this node or any other — with no gap and no repeat, and resumes from the seq it last saw.
 */
export class AgentConnection implements ConnectionHandler, BoardMember {
  status: 'available' | 'away' = 'available';
  private readonly chats = new Map<string, Follow>();
  /** Chats being opened (a frame or a board round asked), so two rounds do not open one twice. */
  private readonly opening = new Set<string>();
  private readonly agent: AgentRef;
  private readonly log: Logger;
  /** The console said where it stands (`resume`): chats it does not know are opened for it from then on. */
  private resumed = false;
  private work: Promise<void> = Promise.resolve();
  private violations: number[] = [];
  private lastBoard = '';
  private gone = false;

  constructor(
    private readonly rt: NativeRuntime,
    private readonly board: Board,
    private readonly link: Link,
    readonly account: AgentAccount,
    /** The credential stamp of the password this console signed in with. */
    private readonly credential: string,
  ) {
    this.agent = { id: account.id, name: account.name };
    this.log = rt.log.child({ agent: account.id, connection: link.id });
    this.enqueue(() => this.start());
  }

  receive(text: string): void {
    if (this.gone) return;
    const frame = decodeClientFrame(text);
    if (isRefused(frame)) return this.violation(frame.error, frame.ref);
    if (frame.type === 'ping') return this.push(pongFrame(this.rt.clock.now()));
    this.enqueue(() => this.handle(frame));
  }

  closed(): void {
    this.leave();
  }

  async goingAway(): Promise<void> {
    // Nothing to save: the console keeps its own seq per chat and resumes from it on the next node.
    this.leave();
  }

  /** Send a frame while the socket is open. */
  push(frame: string): void {
    if (!this.gone && this.link.open) this.link.send(frame);
  }

  /** The handoff a follow serves ended (seen in the log): tell the console and stop following. */
  ended(f: Follow, reason: HandoffEndReason, by: AgentRef | undefined): void {
    this.push(endedFrame(f.handoffId, reason, by));
    this.rt.hub.detach(f);
    if (this.chats.get(f.handoffId) === f) this.chats.delete(f.handoffId);
    this.board.poke();
  }

  round(r: BoardRound): void {
    if (this.gone) return;
    // An account removed, or given a new password, with the CLI (on any machine) loses its open consoles
    // within a round: whoever knew the old password is out.
    const credential = r.credentials.get(this.account.id);
    if (credential !== this.credential) {
      const code = credential === undefined ? 'AGENT_REMOVED' : 'AGENT_PASSWORD_CHANGED';
      this.log.info({ code }, 'agent.console_revoked');
      this.leave();
      this.link.close(new CoreError(code));
      return;
    }
    const waiting = waitingFor(this.account, r);
    const view = { waiting, agents: r.agents, directory: r.directory, queueNames: r.queueNames };
    // Waited times tick every round; the console counts them itself, so only real changes are pushed.
    const key = JSON.stringify({ ...view, waiting: waiting.map(({ waitedMs: _w, ...w }) => w) });
    if (key !== this.lastBoard) {
      this.lastBoard = key;
      this.push(queuesFrame(waiting, r.agents, r.now, r.directory, r.queueNames));
    }
    if (!this.resumed) return;
    // Chats this agent took elsewhere (another tab, another node) open here too.
    for (const h of r.open) {
      if (h.status !== 'agent' || h.agentId !== this.agent.id || this.chats.has(h.handoffId) || this.opening.has(h.handoffId)) continue;
      this.opening.add(h.handoffId);
      this.enqueue(() => this.openChat(h));
    }
  }

  private enqueue(task: () => Promise<void>): void {
    this.work = this.work.then(task).catch((err: unknown) => this.fail(err));
  }

  private async start(): Promise<void> {
    const owned = (await this.rt.desk.open()).filter((r) => r.status === 'agent' && r.agentId === this.agent.id);
    const { id, name, queues, capacity } = this.account;
    this.push(helloFrame({ id, name, queues, capacity }, this.status, owned.map((r) => chatView(r)), this.rt.clock.now()));
    if (!this.gone) this.board.join(this);
  }

  private async handle(f: Exclude<ClientFrame, { type: 'ping' }>): Promise<void> {
    if (this.gone) return;
    const handoffId = 'handoffId' in f ? f.handoffId : undefined;
    try {
      switch (f.type) {
        case 'status':
          this.status = f.status;
          this.board.announce(this.agent.id);
          return this.board.poke();
        case 'resume':
          return await this.resume(f.chats);
        case 'accept':
          return await this.accept(f.handoffId);
        case 'send': {
          const said = await this.rt.desk.say(this.agent, f.handoffId, f.text, f.clientId);
          return this.push(ackFrame(f.clientId, said.duplicate ? { seq: said.seq } : { id: said.id }));
        }
        case 'typing':
          return await this.rt.desk.typing(this.agent, f.handoffId, f.typing);
        case 'transfer':
          return await this.transfer(f.handoffId, f.queue, f.agentId, f.note);
        case 'close':
          return await this.rt.desk.complete(this.agent, f.handoffId);
      }
    } catch (err) {
      const e = toCoreError(err);
      if (e.code === 'INTERNAL') this.log.error({ err, frame: f.type }, 'agent.frame_failed');
      this.push(errorFrame(e, f.ref, handoffId));
    }
  }

  private async accept(handoffId: string): Promise<void> {
    if (this.chats.has(handoffId)) return;
    this.opening.add(handoffId);
    try {
      const picked = await this.rt.desk.pickUp(this.agent, handoffId, this.account.capacity);
      await this.openChat(picked.record, picked);
    } finally {
      this.opening.delete(handoffId);
    }
    this.board.poke();
  }

  private async transfer(handoffId: string, queue: string | undefined, agentId: string | undefined, note: string | undefined): Promise<void> {
    let target: { queue: string } | { agent: AgentRef };
    if (agentId !== undefined) {
      const account = await this.rt.accounts.agent(agentId);
      if (!account) throw new CoreError('AGENT_NOT_FOUND');
      target = { agent: { id: account.id, name: account.name } };
    } else target = { queue: queue! };
    await this.rt.desk.transfer(this.agent, handoffId, target, note?.trim() || undefined);
    this.board.poke();
  }

  /**
   * The console (re)connected and says what it has: chats it knows resume after its seq; owned chats it
   * does not know open whole; known chats that ended meanwhile are replayed up to their end.
   */
  private async resume(known: readonly { handoffId: string; conversationId: string; afterSeq: number }[]): Promise<void> {
    this.resumed = true;
    const owned = (await this.rt.desk.open()).filter((r) => r.status === 'agent' && r.agentId === this.agent.id);
    const mine = new Map(owned.map((r) => [r.handoffId, r]));
    for (const k of known) {
      const r = mine.get(k.handoffId);
      if (this.chats.has(k.handoffId)) continue;
      if (r && r.conversation.id === k.conversationId) this.follow(r, k.afterSeq);
      else await this.recover(k.handoffId, k.conversationId, k.afterSeq);
    }
    for (const r of owned) if (!this.chats.has(r.handoffId) && !this.opening.has(r.handoffId)) await this.openChat(r);
    this.board.poke();
  }

  /** A chat that ended while the console was away: what it missed, up to this agent's end of it. */
  private async recover(handoffId: string, conversationId: string, afterSeq: number): Promise<void> {
    const entries = await this.rt.store.readSince(conversationId, afterSeq, RECOVER_PAGE).catch(() => [] as Entry[]);
    const at = entries.findIndex((e) => endOf(e, handoffId)?.agent?.id === this.agent.id);
    if (at < 0) return this.push(endedFrame(handoffId, 'unknown'));
    for (const e of entries.slice(0, at + 1)) this.push(entryFrame(handoffId, e));
    const end = endOf(entries[at]!, handoffId)!;
    this.push(endedFrame(handoffId, end.reason, end.agent));
  }

  /** Show a chat this agent owns (transcript + where to follow from) and follow it. */
  private async openChat(r: HandoffRecord, picked?: PickedUp): Promise<void> {
    try {
      if (this.gone || this.chats.has(r.handoffId)) return;
      let transcript = picked?.transcript;
      let headSeq = picked?.headSeq;
      let note = picked?.handoff.note ?? r.note;
      if (!picked) {
        const snap = await this.rt.store.getState(r.conversation.id);
        if (snap.value.handoff?.id !== r.handoffId || snap.value.handoff.agent?.id !== this.agent.id) return;
        note = snap.value.handoff.note ?? note;
        headSeq = snap.headSeq;
        transcript = (await this.rt.store.readMessages(r.conversation.id, { offset: 0, limit: this.rt.settings.transcriptSize })).entries;
      }
      if (this.gone) return;
      this.push(chatFrame(chatView(picked?.record ?? r, note), transcript ?? [], headSeq ?? 0));
      this.follow(r, headSeq ?? 0);
    } finally {
      this.opening.delete(r.handoffId);
    }
  }

  private follow(r: HandoffRecord, afterSeq: number): void {
    const f = new Follow(this, r.handoffId, r.conversation.id, this.link.id);
    this.chats.set(r.handoffId, f);
    this.rt.hub.attach(f, afterSeq);
  }

  private violation(err: CoreError, ref: string | number | undefined): void {
    const now = this.rt.clock.now();
    this.violations = this.violations.filter((t) => now - t < VIOLATION_WINDOW_MS);
    this.violations.push(now);
    this.push(errorFrame(err, ref));
    if (this.violations.length > this.rt.settings.maxViolations) {
      const fatal = new CoreError('PROTOCOL_VIOLATION');
      this.push(errorFrame(fatal));
      this.leave();
      this.link.close(fatal);
    }
  }

  private leave(): void {
    if (this.gone) return;
    this.gone = true;
    for (const f of this.chats.values()) this.rt.hub.detach(f);
    this.chats.clear();
    this.board.leave(this);
  }

  private fail(err: unknown): void {
    const e = toCoreError(err);
    this.log.error({ err }, 'agent.connection_failed');
    if (this.link.open) this.link.close(e.spec.close === null ? new CoreError('INTERNAL') : e);
  }
}
