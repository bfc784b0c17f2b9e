import type { AccessClaims } from '../../auth/access-token.js';
import type { Gate } from '../../auth/gate.js';
import type { InboundCommand } from '../../core/commands.js';
import type { ConversationService, TurnContext } from '../../core/conversation/service.js';
import { CoreError, toCoreError } from '../../core/errors.js';
import type { Hub, Subscriber } from '../../core/fanout/hub.js';
import { conversationIdFor } from '../../core/ids.js';
import type { Entry } from '../../core/model.js';
import type { Clock } from '../../core/ports/clock.js';
import type { BotRecord } from '../../core/ports/directory.js';
import type { EphemeralStore } from '../../core/ports/ephemeral.js';
import type { Link } from '../../core/ports/link.js';
import type { Logger } from '../../core/ports/logger.js';
import { decodeFrame } from './decode.js';
import { ackFrame, botActiveFrame, encodeEntry, errorFrame, pongFrame, type KoreView } from './encode.js';
import type { WelcomeGate } from './welcomes.js';

/** Everything a Kore connection needs from the node, shared by all connections. */
export interface KoreRuntime {
  readonly conversations: ConversationService;
  readonly hub: Hub;
  readonly gate: Gate;
  /** Where a device's delivery cursor waits between its connections. */
  readonly cursors: EphemeralStore;
  readonly welcomes: WelcomeGate;
  readonly clock: Clock;
  readonly log: Logger;
  readonly settings: {
    /** Malformed frames tolerated per minute before the connection is closed with 1002. */
    readonly maxViolations: number;
    /** How long a device's cursor is kept for its reconnect. */
    readonly cursorTtlMs: number;
  };
}

/**
 * One Kore RTM WebSocket, from open to close: classifies frames, turns user messages into turns
 * (persist → ack → publish → bot), and encodes the conversation's log entries for this device.
 */
export class KoreConnection implements Subscriber {
  readonly id: string;
  readonly conversationId: string;
  private readonly ctx: TurnContext;
  private readonly view: KoreView;
  private readonly log: Logger;
  /** Frames are pre-processed in arrival order; turns are then ordered by the conversation's sequencer. */
  private inbox: Promise<void>;
  private attached = false;
  private violations: number[] = [];

  constructor(
    private readonly rt: KoreRuntime,
    private readonly link: Link,
    private readonly claims: AccessClaims,
    bot: BotRecord,
    private readonly isReconnect: boolean,
  ) {
    this.id = link.id;
    this.conversationId = conversationIdFor(claims.botId, claims.userId);
    this.ctx = { conversation: { id: this.conversationId, botId: claims.botId, userId: claims.userId }, deviceId: claims.deviceId };
    this.view = { deviceId: claims.deviceId, botInfo: { chatBot: bot.name, taskBotId: bot.id }, icon: bot.icon };
    this.log = rt.log.child({ conversation: this.conversationId, device: claims.deviceId, connection: link.id });
    this.inbox = this.start();
  }

  /** The socket received a text frame. */
  receive(text: string): void {
    this.inbox = this.inbox.then(() => this.handle(text)).catch((err: unknown) => this.fail(err));
  }

  /** The socket closed (for any reason). */
  closed(): void {
    this.rt.welcomes.cancel(this.claims.deviceId);
    if (!this.attached) return;
    this.attached = false;
    const seq = this.rt.hub.detach(this);
    this.rt.cursors.put(`cursor:${this.claims.deviceId}`, String(seq), this.rt.settings.cursorTtlMs).catch((err: unknown) => {
      this.log.warn({ err }, 'kore.cursor_save_failed');
    });
  }

  deliver(entries: readonly Entry[]): void {
    for (const e of entries) {
      const frame = encodeEntry(e, this.view);
      if (frame !== null) this.link.send(frame);
    }
  }

  private async start(): Promise<void> {
    try {
      await this.rt.gate.admit(this.claims.botId, this.claims.userId);
      const opened = await this.rt.conversations.open(this.ctx);
      if (!this.link.open) return;
      this.link.send(botActiveFrame(this.view, opened.sessionId));
      let cursor = opened.headSeq;
      if (this.isReconnect) {
        const saved = Number(await this.rt.cursors.get(`cursor:${this.claims.deviceId}`));
        if (Number.isInteger(saved) && saved > 0 && saved < cursor) cursor = saved;
      }
      if (!this.link.open) return;
      this.rt.hub.attach(this, cursor);
      this.attached = true;
      if (!this.isReconnect) {
        this.rt.welcomes.expect(this.claims.deviceId, () => {
          if (!this.link.open) return;
          this.rt.conversations.welcome(this.ctx).catch((err: unknown) => this.log.error({ err }, 'kore.welcome_failed'));
        });
      }
    } catch (err) {
      this.fail(err);
    }
  }

  private async handle(text: string): Promise<void> {
    if (!this.link.open) return;
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
        await this.rt.conversations.closeSession(this.ctx);
        return this.link.send(ackFrame(replyTo));
      case 'message':
        return this.message(command, replyTo);
    }
  }

  private async message(command: Extract<InboundCommand, { type: 'message' }>, replyTo: string | number | null): Promise<void> {
    try {
      await this.rt.gate.admit(this.claims.botId, this.claims.userId);
      await this.rt.gate.spend(this.claims.botId, this.claims.userId);
    } catch (err) {
      const e = toCoreError(err);
      if (e.code === 'RATE_LIMITED') await this.rt.gate.penalize(this.claims.botId, this.claims.userId);
      this.link.send(errorFrame(e, replyTo));
      return this.link.close(e);
    }
    // Not awaited: the sequencer keeps turns in this order, and the next frame need not wait for the bot.
    this.rt.conversations
      .receive(this.ctx, command.input, command.clientMessageId, (a) => this.link.send(ackFrame(replyTo, a.seq)))
      .catch((err: unknown) => {
        const e = toCoreError(err);
        this.log.error({ err }, 'kore.turn_failed');
        this.link.send(errorFrame(e.code === 'INTERNAL' ? new CoreError('STORE_UNAVAILABLE') : e, replyTo));
      });
  }

  private violation(err: CoreError): void {
    const now = this.rt.clock.now();
    this.violations = this.violations.filter((t) => now - t < 60_000);
    this.violations.push(now);
    this.link.send(errorFrame(err, null));
    if (this.violations.length > this.rt.settings.maxViolations) this.link.close(new CoreError('PROTOCOL_VIOLATION'));
  }

  private fail(err: unknown): void {
    const e = toCoreError(err);
    if (e.code === 'INTERNAL') this.log.error({ err }, 'kore.connection_failed');
    if (this.link.open) this.link.close(e.spec.close === null ? new CoreError('INTERNAL') : e);
  }
}
