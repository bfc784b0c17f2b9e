import { CoreError } from '../../core/errors.js';
import type { ConversationRef } from '../../core/model.js';
import type { ConnectionHandler, Link } from '../../core/ports/link.js';
import type { Capabilities } from './decode.js';
import type { Frame, FrameView } from './encode.js';
import type { ReqId } from './schema.js';
import type { AgentLink } from './agent-side.js';
import { Binding, type AiseraClient, type AiseraHandler, type AiseraRuntime } from './handler.js';
import { seenOf } from './liveagent.js';
import { TokenCache } from './tokens.js';

/** Conversations one socket follows at most (a server-to-server socket may speak for many users). */
const MAX_BINDINGS = 64;

/**
 * One Aisera socket (raw WebSocket or Socket.IO), from open to close. Requests are handled one at a time in
 * arrival order; each conversation a request names is followed from then on, so every frame of that user's
 * session — whichever connection caused it — reaches this socket.
 */
export class AiseraConnection implements ConnectionHandler, AiseraClient {
  readonly deviceId: string;
  readonly tokens = new TokenCache();
  private readonly bindings = new Map<string, Binding>();
  private readonly declared = new Map<string, Capabilities>();
  /** Warnings of requests under way, by reqId, for their final frame. */
  private readonly warnings = new Map<ReqId, readonly string[]>();
  readonly agentLink: AgentLink;
  private queue: Promise<void> = Promise.resolve();
  private authFailures = 0;
  private closed_ = false;

  constructor(
    private readonly rt: AiseraRuntime,
    private readonly handler: AiseraHandler,
    private readonly link: Link,
    readonly origin: string | undefined,
  ) {
    this.deviceId = `d-aisera-${link.id}`;
    this.agentLink = { id: `agent:${link.id}`, send: (f) => this.link.open && this.link.send(JSON.stringify(f)), subscriptions: new Map() };
  }

  receive(text: string): void {
    this.queue = this.queue
      .then(() => (this.closed_ || !this.link.open ? undefined : this.handler.handle(text, this)))
      .catch((err: unknown) => {
        this.rt.log.error({ err, connection: this.link.id }, 'aisera.connection_failed');
        this.link.close(new CoreError('INTERNAL'));
      });
  }

  /** A binary frame: this endpoint speaks JSON text only (close 1003). */
  binary(): void {
    this.link.close(new CoreError('BINARY_FRAME'));
  }

  closed(): void {
    this.closed_ = true;
    for (const b of this.bindings.values()) this.rt.hub.detach(b);
    this.bindings.clear();
    for (const stop of this.agentLink.subscriptions.values()) stop();
    this.agentLink.subscriptions.clear();
  }

  async follow(conv: ConversationRef, view: FrameView, only?: { readonly streamInProgress: true }): Promise<void> {
    const bound = this.bindings.get(conv.id);
    if (bound) return bound.setView(view);
    if (this.closed_) return;
    const snap = await this.rt.store.getState(conv.id);
    if (only?.streamInProgress && !snap.value.stream) return;
    const head = snap.value.stream?.afterSeq ?? snap.headSeq;
    if (this.bindings.has(conv.id) || this.closed_) return;
    const binding = new Binding(
      `${this.link.id}:${conv.id}`,
      conv.id,
      view,
      (frames) => {
        for (const f of frames) this.link.send(this.warnings.size > 0 ? this.withWarnings(f) : f);
      },
      seenOf(snap.value.handoff),
    );
    this.bindings.set(conv.id, binding);
    this.rt.hub.attach(binding, head);
    if (this.bindings.size > MAX_BINDINGS) {
      const [oldestId, oldest] = this.bindings.entries().next().value!;
      this.bindings.delete(oldestId);
      this.rt.hub.detach(oldest);
    }
  }

  reply(frame: Frame): void {
    this.link.send(this.withWarnings(JSON.stringify(frame)));
  }

  warn(reqId: ReqId, warnings: readonly string[]): void {
    this.warnings.set(reqId, warnings);
    if (this.warnings.size > 64) this.warnings.delete(this.warnings.keys().next().value!);
  }

  /** A request's final frame carries its warnings (to the requester only). */
  private withWarnings(text: string): string {
    if (this.warnings.size === 0) return text;
    const frame = JSON.parse(text) as Frame;
    const w = frame.reqId !== null && frame.final ? this.warnings.get(frame.reqId) : undefined;
    if (!w) return text;
    this.warnings.delete(frame.reqId!);
    return JSON.stringify({ ...frame, warnings: w });
  }

  capabilities(conversationId: string, declared: Capabilities | undefined): Capabilities {
    if (declared) this.declared.set(conversationId, { ...this.declared.get(conversationId), ...declared });
    return this.declared.get(conversationId) ?? {};
  }

  authFailed(): void {
    this.authFailures += 1;
    if (this.authFailures >= this.rt.settings.maxAuthFailures) this.link.close(new CoreError('AUTH_FAILURES'));
  }

  authSucceeded(): void {
    this.authFailures = 0;
  }
}
