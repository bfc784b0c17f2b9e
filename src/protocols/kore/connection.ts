import type { AccessClaims } from '../../auth/access-token.js';
import { gateKey, type Gate } from '../../auth/gate.js';
import type { InboundCommand } from '../../core/commands.js';
import type { ConversationService, TurnContext } from '../../core/conversation/service.js';
import { CoreError, toCoreError } from '../../core/errors.js';
import type { Hub, Subscriber } from '../../core/fanout/hub.js';
import { conversationIdFor } from '../../core/ids.js';
import type { ClientContext, Entry } from '../../core/model.js';
import type { Clock, Timer } from '../../core/ports/clock.js';
import type { EphemeralStore } from '../../core/ports/ephemeral.js';
import type { ConnectionHandler, Link } from '../../core/ports/link.js';
import type { Logger } from '../../core/ports/logger.js';
import { decodeFrame } from './decode.js';
import { ackFrame, botActiveFrame, encodeEntry, errorFrame, pongFrame, type KoreView } from './encode.js';
import type { KoreConnections, LiveConnection } from './registry.js';
import { KORE_FORM_FIELD_TYPES } from './templates.js';
import type { Welcomes } from './welcomes.js';

/** Everything a Kore connection needs from the node, shared by all connections. */
export interface KoreRuntime {
  readonly conversations: ConversationService;
  readonly hub: Hub;
  readonly gate: Gate;
  /** Where a device's delivery cursor waits between its connections. */
  readonly cursors: EphemeralStore;
  readonly welcomes: Welcomes;
  readonly connections: KoreConnections<KoreConnection>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly settings: {
    /** Malformed frames tolerated per minute before the connection is closed with 1002. */
    readonly maxViolations: number;
    /** How long a device's cursor is kept for its reconnect. */
    readonly cursorTtlMs: number;
    /**
     * Cluster: also save the device's cursor while the connection lives, at most this often (0: only when
     * it closes). A node that dies saves nothing, and its devices reconnect elsewhere.
     */
    readonly cursorEveryMs?: number;
  };
}

const cursorKey = (deviceId: string) => `cursor:${deviceId}`;
/** What the Kore Web SDK renders: forms of text-like fields, which it hides once submitted. */
const KORE_CLIENT: ClientContext = { channel: 'kore', capabilities: { forms: { fieldTypes: KORE_FORM_FIELD_TYPES, keptAfterSubmit: false } } };
/** A close code of a completed closing handshake: the client read everything sent before it. */
const cleanClose = (code: number) => code !== 1006;

/** The turn context of a device's Kore connection (a cluster also uses it to welcome the device from another node). */
export const koreTurnContext = (claims: AccessClaims): TurnContext => ({
  conversation: { id: conversationIdFor(claims.botId, claims.userId), botId: claims.botId, userId: claims.userId },
  deviceId: claims.deviceId,
  client: KORE_CLIENT,
});

/**
 * One Kore RTM WebSocket, from open to close: classifies frames, turns user messages into turns
 * (persist → publish → ack → bot), and encodes the conversation's log entries for this device.
 */
export class KoreConnection implements Subscriber, ConnectionHandler, LiveConnection {
  readonly id: string;
  readonly conversationId: string;
  readonly deviceId: string;
  private readonly ctx: TurnContext;
  private logger: Logger | undefined;
  /**
   * Frames are handled in arrival order: synchronously when nothing is pending, else behind the pending
   * work (the connection's start, an undecided gate check, a session close). Turns are then ordered by the
   * conversation's sequencer.
   */
  private pending: Promise<void> | undefined;
  /**
   * The turn started last (it never rejects). All of a connection's turns are of one conversation, whose
   * sequencer runs them one at a time in the order they started: once this one has settled, all have.
   */
  private lastTurn: Promise<void> | undefined;
  private attached = false;
  private closing = false;
  private replaced = false;
  /** Last seq handed to the socket, and its value when the client last showed it was reading. */
  private delivered = 0;
  private heardAt = 0;
  /** `delivered` when the last heartbeat ping went out: its pong proves the client read that far. */
  private deliveredAtPing = 0;
  /** Cluster: the cursor last saved while open, and the pending save. */
  private savedAt = -1;
  private saving: Timer | undefined;
  /** The server is shutting down and saved this connection's resume point: nothing more is delivered. */
  private goneAway = false;
  private readonly openedAt: number;
  private violations: number[] = [];
  private readonly gateKey: string;

  constructor(
    private readonly rt: KoreRuntime,
    private readonly link: Link,
    private readonly claims: AccessClaims,
    private readonly view: KoreView,
    private readonly isReconnect: boolean,
  ) {
    this.id = link.id;
    this.deviceId = claims.deviceId;
    this.conversationId = conversationIdFor(claims.botId, claims.userId);
    this.gateKey = gateKey(claims.botId, claims.userId);
    this.ctx = koreTurnContext(claims);
    this.openedAt = rt.clock.now();
    rt.connections.add(this);
    const started = this.start();
    this.pending = this.settle(started);
    // Registered before the client can ask for its history (it does so once the socket is open).
    if (!isReconnect) rt.welcomes.expect(this.deviceId, () => started.then(() => this.welcome()), started.then(() => this.attached));
  }

  /** A child logger with this connection's ids, made when first needed (most connections never log). */
  private get log(): Logger {
    return (this.logger ??= this.rt.log.child({ conversation: this.conversationId, device: this.deviceId, connection: this.id }));
  }

  /** The socket received a text frame. */
  receive(text: string): void {
    // (Not a sign of reading: the client may have sent this before it read what we sent. Only a pong is.)
    if (this.pending) {
      this.pending = this.settle(this.pending.then(() => this.handle(text)));
      return;
    }
    try {
      const waiting = this.handle(text);
      if (waiting) this.pending = this.settle(waiting);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Track pending work; once it is done (and nothing was queued behind it), frames are handled at once again. */
  private settle(work: Promise<void>): Promise<void> {
    const tracked: Promise<void> = work
      .catch((err: unknown) => this.fail(err))
      .then(() => {
        if (this.pending === tracked) this.pending = undefined;
      });
    return tracked;
  }

  pinging(): void {
    this.deliveredAtPing = this.delivered;
  }

  heard(): void {
    // The pong proves what was sent before its ping arrived; frames sent since may be lost with the node.
    this.heardAt = Math.max(this.heardAt, this.deliveredAtPing);
    const every = this.rt.settings.cursorEveryMs;
    if (every && this.attached && this.saving === undefined && this.heardAt !== this.savedAt) {
      this.saving = this.rt.clock.setTimer(every, () => {
        this.saving = undefined;
        if (this.attached) this.saveCursor(this.heardAt);
      });
    }
  }

  /**
   * Cluster: a newer connection of this device opened on another node at `at` (the page holds one socket;
   * this one is stale). It takes over; this one closes like a replaced one, without saving its cursor.
   */
  superseded(at: number): void {
    if (this.replaced || at < this.openedAt) return;
    this.replace();
  }

  closed(code: number): void {
    this.rt.connections.remove(this);
    this.rt.welcomes.cancel(this.deviceId);
    this.saving?.cancel();
    this.saving = undefined;
    if (!this.attached) return;
    this.attached = false;
    this.rt.hub.detach(this);
    // Replaced: the newer connection holds the point. Gone away and closed cleanly: the client got everything
    // before the close frame, so the exact point saved before the close stands. A drop (1006) loses what was
    // still in flight: fall back to what the client showed it had read.
    if (this.replaced || (this.goneAway && cleanClose(code))) return;
    this.saveCursor(cleanClose(code) ? this.delivered : this.heardAt);
  }

  /**
   * The node shuts down: deliver nothing more and store exactly what was delivered, before the client is told
   * to reconnect (it may be back on another node within milliseconds; what it did not get comes from the log).
   */
  async goingAway(): Promise<void> {
    if (this.goneAway) return;
    this.goneAway = true;
    this.saving?.cancel();
    this.saving = undefined;
    if (!this.attached || this.replaced) return;
    this.savedAt = this.delivered;
    await this.rt.cursors.put(cursorKey(this.deviceId), String(this.delivered), this.rt.settings.cursorTtlMs).catch((err: unknown) => {
      this.log.warn({ err }, 'kore.cursor_save_failed');
    });
  }

  private saveCursor(resumeAfter: number): void {
    this.savedAt = resumeAfter;
    this.rt.cursors.put(cursorKey(this.deviceId), String(resumeAfter), this.rt.settings.cursorTtlMs).catch((err: unknown) => {
      this.log.warn({ err }, 'kore.cursor_save_failed');
    });
  }

  deliver(entries: readonly Entry[]): void {
    for (const e of entries) {
      // A closing socket sends nothing more: what was not sent must not count as delivered, or the device's
      // next connection (on any node) would resume after it. (The hub delivers until the close completes.)
      if (!this.link.open || this.goneAway) return;
      const frame = encodeEntry(e, this.view);
      if (frame !== null) {
        if (typeof frame === 'string') this.link.send(frame);
        else for (const f of frame) this.link.send(f);
        if (!this.link.open) return;
      }
      this.delivered = e.seq;
    }
  }

  async recheck(): Promise<void> {
    if (this.closing || !this.link.open) return;
    try {
      await this.rt.gate.admit(this.claims.botId, this.claims.userId);
    } catch (err) {
      await this.refuse(toCoreError(err), null);
    }
  }

  private async start(): Promise<void> {
    try {
      await this.rt.gate.admit(this.claims.botId, this.claims.userId);
      const opened = await this.rt.conversations.open(this.ctx);
      if (!this.link.open) return;
      this.link.send(botActiveFrame(this.view, opened.sessionId));
      const cursor = this.isReconnect ? await this.resumePoint(opened.headSeq) : opened.headSeq;
      if (!this.link.open) return;
      this.delivered = this.heardAt = this.deliveredAtPing = cursor;
      this.rt.hub.attach(this, cursor);
      this.attached = true;
      // Cluster: the device's older socket may be open on another node; and its cursor must outlive this node.
      this.rt.hub.announce(this, this.openedAt);
      if (this.rt.settings.cursorEveryMs) this.saveCursor(cursor);
    } catch (err) {
      const e = toCoreError(err);
      // A refusal (blocked, suspended, penalty) is said in an error frame before the close; a failure is not.
      if (e.spec.close !== null && e.code !== 'INTERNAL') await this.refuse(e, null);
      else this.fail(err);
    }
  }

  /** The bot's On-Connect turn, for this window only. */
  private async welcome(): Promise<void> {
    if (!this.attached || this.closing || !this.link.open) return;
    try {
      await this.rt.conversations.welcome(this.ctx);
    } catch (err) {
      this.log.error({ err }, 'kore.welcome_failed');
    }
  }

  /**
   * Where a reconnecting device resumes: after what its previous connection certainly received. A previous
   * connection this node still holds is stale (the page has one socket): it is replaced, and we resume from
   * the last point its client showed it was reading — at worst a few frames again, which the Web SDK drops
   * by `messageId`, rather than a gap.
   */
  private async resumePoint(head: number): Promise<number> {
    let cursor = head;
    for (const old of this.rt.connections.others(this)) cursor = Math.min(cursor, old.replace());
    const raw = await this.rt.cursors.get(cursorKey(this.deviceId));
    const saved = raw === null ? NaN : Number(raw);
    if (Number.isInteger(saved) && saved >= 0) cursor = Math.min(cursor, saved);
    return cursor;
  }

  /** A newer connection of this device takes over: stop delivering, close, and hand over the resume point. */
  private replace(): number {
    this.replaced = true;
    this.saving?.cancel();
    this.saving = undefined;
    if (this.attached) {
      this.attached = false;
      this.rt.hub.detach(this);
    }
    this.link.close(new CoreError('CONNECTION_REPLACED'));
    return this.heardAt;
  }

  private handle(text: string): Promise<void> | void {
    if (this.closing || !this.link.open) return;
    const decoded = decodeFrame(text);
    if (decoded instanceof CoreError) return this.violation(decoded);
    const { command, replyTo } = decoded;
    switch (command.type) {
      case 'ping':
        return this.link.send(pongFrame(replyTo));
      case 'deliveryAck':
      case 'clientEvent':
        return;
      case 'closeSession':
        return this.rt.conversations.closeSession(this.ctx).then(() => this.link.send(ackFrame(replyTo)));
      case 'message':
        return this.message(command, replyTo);
    }
  }

  private message(command: Extract<InboundCommand, { type: 'message' }>, replyTo: string | number | null): Promise<void> | void {
    const { botId, userId } = this.claims;
    const verdict = this.rt.gate.messageNow(botId, userId, this.gateKey);
    if (verdict === undefined) {
      return this.rt.gate.message(botId, userId).then(
        () => this.turn(command, replyTo),
        (err: unknown) => this.refused(toCoreError(err), replyTo),
      );
    }
    if (verdict !== null) return this.refused(verdict, replyTo);
    this.turn(command, replyTo);
  }

  private async refused(err: CoreError, replyTo: string | number | null): Promise<void> {
    if (err.code === 'RATE_LIMITED') await this.rt.gate.penalize(this.claims.botId, this.claims.userId);
    return this.refuse(err, replyTo);
  }

  /** Start the turn. Not awaited: the sequencer keeps turns in order, and the next frame need not wait for the bot. */
  private turn(command: Extract<InboundCommand, { type: 'message' }>, replyTo: string | number | null): void {
    const ctx = command.sessionVars ? { ...this.ctx, client: { ...KORE_CLIENT, sessionVars: command.sessionVars } } : this.ctx;
    this.lastTurn = this.rt.conversations
      .receive(ctx, command.input, command.clientMessageId, (a) => this.link.send(ackFrame(replyTo, a.seq)))
      .catch((err: unknown) => {
        const e = toCoreError(err);
        this.log.error({ err }, 'kore.turn_failed');
        this.link.send(errorFrame(e.code === 'INTERNAL' ? new CoreError('STORE_UNAVAILABLE') : e, replyTo));
      });
  }

  private violation(err: CoreError): Promise<void> | void {
    const now = this.rt.clock.now();
    this.violations = this.violations.filter((t) => now - t < 60_000);
    this.violations.push(now);
    this.link.send(errorFrame(err, null));
    if (this.violations.length > this.rt.settings.maxViolations) return this.refuse(new CoreError('PROTOCOL_VIOLATION'), null);
  }

  /**
   * End the connection for a policy or protocol reason: stop taking frames, let the turns already started
   * finish (their acks and answers go out), then send the error frame and close with its code.
   */
  private async refuse(err: CoreError, replyTo: string | number | null): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.lastTurn;
    this.link.send(errorFrame(err, replyTo));
    this.link.close(err);
  }

  private fail(err: unknown): void {
    const e = toCoreError(err);
    if (e.code === 'INTERNAL') this.log.error({ err }, 'kore.connection_failed');
    if (this.link.open) this.link.close(e.spec.close === null ? new CoreError('INTERNAL') : e);
  }
}
