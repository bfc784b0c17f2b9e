import { CoreError } from '../errors.js';
import { syncIndex } from '../handoff/index-sync.js';
import { end as endHandoff, handoffAsked, isExit, userMessage as heardUser } from '../handoff/machine.js';
import { newMessageId, newSessionId } from '../ids.js';
import type { ConversationRef, ConversationState, Entry, NewEntry, SessionEndReason, StateSnapshot, UserInput } from '../model.js';
import type { BotStream, BotTrigger } from '../ports/bot.js';
import type { IdleTimers } from '../ports/idle-timers.js';
import type { Lease } from '../ports/sequencer.js';
import type { AppendOptions } from '../ports/store.js';
import { stateWith } from '../shapes.js';
import { botReply } from './bot-reply.js';
import { activeSession, endingSession, planSession, sessionEvent } from './session.js';
import { Streams, withoutStream } from './streams.js';
import { SessionTimers } from './timers.js';
import { markRequest, refused, type Accepted, type Change, type ConversationDeps, type ConversationSettings, type Opened, type TurnContext } from './turn.js';

export { markRequest } from './turn.js';
export type { Accepted, Change, ConversationDeps, ConversationSettings, Opened, TurnContext } from './turn.js';

const MAX_ATTEMPTS = 3;

/**
 * Turns and sessions of conversations. Every change is: take the conversation's lock, read the state
 * row, append entries (+ state) durably, then publish. Nothing is acknowledged before it is stored.
 */
export class ConversationService {
  private readonly timers: IdleTimers;
  /** Streamed answers being written by this node (docs/architecture.md, *Streams*). */
  readonly streams: Streams;

  constructor(
    private readonly deps: ConversationDeps,
    private readonly settings: ConversationSettings,
  ) {
    this.streams = new Streams(deps);
    const timers = deps.idleTimers ?? ((idleMs, onIdle) => new SessionTimers(deps.clock, idleMs, onIdle));
    this.timers = timers(settings.idleTimeoutMs, (conv, sessionId) =>
      this.expire(conv, sessionId).catch((err: unknown) => {
        deps.log.error({ err, conversation: conv.id }, 'session.expire_failed');
        throw err;
      }),
    );
  }

  /** A window opened: make sure a session is active (appending `session_start` if not). */
  open(ctx: TurnContext): Promise<Opened> {
    return this.locked(ctx.conversation, async (lease) => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const snap = await this.deps.store.getState(ctx.conversation.id);
        const idleMs = this.idleMs(ctx.conversation, snap.value.session);
        const plan = planSession(snap, this.deps.clock.now(), idleMs, this.ownIdleMs(ctx.conversation));
        if (plan.nextState === undefined) {
          // Opening a window appends nothing, so the session still ends idleMs after its last entry.
          const idleFor = this.deps.clock.now() - Math.max(snap.lastAt, plan.session.startedAt);
          this.timers.touch(ctx.conversation, plan.session.id, Math.max(0, idleMs - idleFor));
          return { sessionId: plan.session.id, headSeq: snap.headSeq };
        }
        const written = await this.commit(ctx.conversation, plan.events, {
          state: { expectedVersion: snap.version, value: plan.nextState },
          fence: lease.fence,
        });
        if (written) {
          this.timers.touch(ctx.conversation, plan.session.id, idleMs);
          return { sessionId: plan.session.id, headSeq: snap.headSeq };
        }
      }
      throw new CoreError('STATE_CONFLICT');
    });
  }

  /**
   * A user message: stored (deduplicated by the device's client message id), published, acknowledged
   * through `onAccepted`, then answered by the bot.
   */
  receive(ctx: TurnContext, input: UserInput, clientMessageId: string | undefined, onAccepted: (a: Accepted) => void): Promise<void> {
    const conv = ctx.conversation;
    return this.locked(conv, async (lease) => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const snap = await this.deps.store.getState(conv.id);
        const now = this.deps.clock.now();
        const plan = planSession(snap, now, this.idleMs(conv, snap.value.session), this.ownIdleMs(conv));
        const idleMs = this.idleMs(conv, plan.session);
        const handoff = plan.nextState === undefined ? snap.value.handoff : undefined;
        const message: NewEntry = {
          id: newMessageId(),
          at: now,
          from: { role: 'user', id: conv.userId },
          sessionId: plan.session.id,
          body: handoff ? { kind: 'user_message', input, routed: handoff.status === 'queued' ? 'queue' : 'agent' } : { kind: 'user_message', input },
          origin: clientMessageId !== undefined ? { deviceId: ctx.deviceId, clientMessageId } : { deviceId: ctx.deviceId },
        };
        if (handoff) {
          // Humans own the conversation: the bot stays silent; `exit` leaves the queue or the agent chat.
          const leaving = input.action === 'exit' || isExit(input.text);
          const ended = leaving ? endHandoff(handoff, handoff.id, 'userExit', now, plan.session.id).entries : [];
          const value = stateWith(snap.value, { handoff: leaving ? undefined : heardUser(handoff, now) });
          const result = await this.deps.store.append(conv, markRequest([message, ...ended], ctx.request, !leaving), { state: { expectedVersion: snap.version, value }, fence: lease.fence });
          if (!result.ok) {
            if (refused(result, onAccepted)) return;
            continue;
          }
          const indexing = this.indexed(conv, result.entries, value);
          if (indexing) await indexing;
          this.acknowledge(conv, result.entries, 1, onAccepted, plan.session.id, idleMs);
          if (leaving) await this.answer(ctx, { ...snap, version: result.version, value }, plan.session.id, { type: 'handoff_ended', reason: 'userExit' }, undefined, lease);
          return;
        }
        // A stream still being written ends here (aborted), before this message: same commit, marker removed.
        // (Looked for only when the marker is there: this is every message's path.)
        const closing = snap.value.stream ? await this.streams.closing(conv, snap) : undefined;
        const current = closing?.value ?? snap.value;
        const nextState = closing && plan.nextState ? withoutStream(plan.nextState) : plan.nextState;
        const bot = this.deps.botFor(conv.botId);
        const trigger: BotTrigger = { type: 'message', input };
        // An inline bot (fast, no side effects) answers before anything is stored: the message and the answer
        // are then one append — one commit — and the ack still waits for it.
        // A turn that needs to call out defers: it runs again below, once the message is stored.
        const reply = bot.inline ? await botReply(this.deps, bot, ctx, snap.value.dialog, plan.session.id, trigger, undefined, true) : undefined;
        const base = nextState ?? current;
        const asked = reply ? handoffAsked(base, reply.entries, now, plan.session.id, this.settings.defaultQueue) : undefined;
        if (reply && asked) reply.entries.push(...asked.entries);
        const value = asked
          ? stateWith(asked.value, { dialog: reply!.dialog })
          : reply && reply.dialog !== snap.value.dialog
            ? stateWith(base, { dialog: reply.dialog })
            : (nextState ?? (closing ? current : undefined));
        const options: AppendOptions = value ? { state: { expectedVersion: snap.version, value }, fence: lease.fence } : { fence: lease.fence };
        const turnEntries = reply ? markRequest([...plan.events, message, ...reply.entries], ctx.request, true) : markRequest([...plan.events, message], ctx.request, false);
        const closed = closing?.entries ?? [];
        const result = await this.deps.store.append(conv, closed.length > 0 ? [...closed, ...turnEntries] : turnEntries, options);
        if (!result.ok) {
          if (refused(result, onAccepted)) return;
          continue;
        }
        // (Awaited only when a handoff moved: an idle `await` would cost every turn a microtask.)
        const indexing = this.indexed(conv, result.entries, value);
        if (indexing) await indexing;
        if (closing) this.streams.abort(conv.id, closing.id);
        this.acknowledge(conv, result.entries, closed.length + plan.events.length + 1, onAccepted, plan.session.id, idleMs);
        if (reply) return;
        const state: StateSnapshot = { ...snap, version: result.version, value: base, headSeq: result.entries[result.entries.length - 1]!.seq };
        await this.answer(ctx, state, plan.session.id, trigger, undefined, lease);
        return;
      }
      throw new CoreError('STATE_CONFLICT');
    });
  }

  /** On-Connect: let the bot greet one device (its newly opened window). */
  welcome(ctx: TurnContext): Promise<void> {
    return this.locked(ctx.conversation, async (lease) => {
      const snap = await this.deps.store.getState(ctx.conversation.id);
      const session = activeSession(snap, this.deps.clock.now(), this.idleMs(ctx.conversation, snap.value.session));
      if (!session) return;
      await this.answer(ctx, snap, session.id, { type: 'connect' }, ctx.deviceId, lease);
    });
  }

  /** Stop the answer being streamed, if any (an explicit cancel). Returns false when none was. */
  cancelStream(ctx: TurnContext): Promise<boolean> {
    const conv = ctx.conversation;
    return this.locked(conv, async (lease) => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const snap = await this.deps.store.getState(conv.id);
        const closing = await this.streams.closing(conv, snap);
        if (!closing) return false;
        if (await this.commit(conv, closing.entries, { state: { expectedVersion: snap.version, value: closing.value }, fence: lease.fence })) {
          this.streams.abort(conv.id, closing.id);
          return true;
        }
      }
      throw new CoreError('STATE_CONFLICT');
    });
  }

  /** The user closed the conversation session. Returns false when no session was active. */
  closeSession(ctx: TurnContext, reason: Exclude<SessionEndReason, 'idle' | 'reset'> = 'closed'): Promise<boolean> {
    return this.end(ctx.conversation, undefined, reason, ctx.request);
  }

  /**
   * Start a new session now (Aisera `isReset`): the active one ends (`reset`), a new one starts and the bot
   * greets it (its On-Connect turn, for every window) — one commit. Returns the new session's id.
   */
  restart(ctx: TurnContext): Promise<{ sessionId: string; previousSessionId: string | undefined }> {
    const conv = ctx.conversation;
    return this.locked(conv, async (lease) => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const snap = await this.deps.store.getState(conv.id);
        const now = this.deps.clock.now();
        const previous = activeSession(snap, now, this.idleMs(conv, snap.value.session));
        const stale = snap.value.session;
        const own = this.ownIdleMs(conv);
        const session = { id: newSessionId(), startedAt: now, ...(own !== undefined ? { idleMs: own } : {}) };
        const greeting = await botReply(this.deps, this.deps.botFor(conv.botId), ctx, snap.value.dialog, session.id, { type: 'connect' }, undefined, false);
        const closing = await this.streams.closing(conv, snap);
        const ending = endingSession(closing?.value ?? snap.value, stale?.id, now, previous ? 'reset' : 'idle');
        const events = [...ending.events, sessionEvent('session_start', session.id, now)];
        const value = stateWith(ending.value, greeting && greeting.dialog !== undefined ? { session, dialog: greeting.dialog } : { session });
        const entries = markRequest([...events, ...(greeting?.entries ?? [])], ctx.request, true);
        const written = await this.commit(conv, [...(closing?.entries ?? []), ...entries], { state: { expectedVersion: snap.version, value }, fence: lease.fence });
        if (written) {
          if (closing) this.streams.abort(conv.id, closing.id);
          this.timers.touch(conv, session.id, this.idleMs(conv, session));
          return { sessionId: session.id, previousSessionId: previous?.id };
        }
      }
      throw new CoreError('STATE_CONFLICT');
    });
  }

  /** The active session of a conversation, if any (read-only; for history requests). */
  async activeSession(conv: ConversationRef): Promise<{ id: string; startedAt: number } | undefined> {
    const snap = await this.deps.store.getState(conv.id);
    return activeSession(snap, this.deps.clock.now(), this.idleMs(conv, snap.value.session));
  }

  /**
   * Change a conversation under its lock: `plan` reads the state (and the active session, if any) and says what
   * to append and store; retried on a version conflict. The live-agent desk changes handoffs through this.
   */
  change<T>(ctx: TurnContext, plan: (snap: StateSnapshot, sessionId: string | undefined, now: number) => Change<T>): Promise<T> {
    const conv = ctx.conversation;
    return this.locked(conv, async (lease) => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const snap = await this.deps.store.getState(conv.id);
        const now = this.deps.clock.now();
        const session = activeSession(snap, now, this.idleMs(conv, snap.value.session));
        const change = plan(snap, session?.id, now);
        if (change.entries.length === 0 && change.value === undefined) return change.result;
        const state = change.value !== undefined ? { expectedVersion: snap.version, value: change.value } : undefined;
        const entries = markRequest(change.entries, ctx.request, change.then === undefined);
        const written = await this.deps.store.append(conv, entries, state ? { state, fence: lease.fence } : { fence: lease.fence });
        if (!written.ok) {
          if (written.reason === 'fenced') throw new CoreError('FENCED');
          if (written.reason === 'duplicate' && change.duplicate) return change.duplicate(written.seq);
          if (written.reason === 'duplicate') throw new CoreError('INTERNAL', 'unexpected duplicate');
          continue;
        }
        const indexing = this.indexed(conv, written.entries, change.value);
        if (indexing) await indexing;
        this.deps.hub.publish(conv.id, written.entries);
        if (session) this.timers.touch(conv, session.id, this.idleMs(conv, session));
        if (change.then && session) {
          const version = state ? snap.version + 1 : snap.version;
          await this.answer(ctx, { ...snap, version, value: change.value ?? snap.value }, session.id, change.then, undefined, lease);
        }
        return change.result;
      }
      throw new CoreError('STATE_CONFLICT');
    });
  }

  /** Stop local timers (shutdown). */
  stop(): void {
    this.timers.stop();
    this.streams.stopAll();
  }

  get activeTimers(): number {
    return this.timers.size;
  }

  private expire(conv: ConversationRef, sessionId: string): Promise<boolean> {
    return this.end(conv, sessionId, 'idle', undefined);
  }

  /** The conversation's own idle timeout, if this node knows one (e.g. from its channel). */
  private ownIdleMs(conv: ConversationRef): number | undefined {
    return this.settings.idleTimeoutFor?.(conv);
  }

  /** A session's idle timeout: the conversation's own if known here, else what the session recorded, else the default. */
  private idleMs(conv: ConversationRef, session?: { readonly idleMs?: number }): number {
    return this.ownIdleMs(conv) ?? session?.idleMs ?? this.settings.idleTimeoutMs;
  }

  /** End the active session (only `onlySessionId`, if given) with a `session_end` entry. */
  private end(
    conv: ConversationRef,
    onlySessionId: string | undefined,
    reason: Exclude<SessionEndReason, 'reset'>,
    request: TurnContext['request'],
  ): Promise<boolean> {
    return this.locked(conv, async (lease) => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const snap = await this.deps.store.getState(conv.id);
        const session = snap.value.session;
        if (!session || (onlySessionId !== undefined && session.id !== onlySessionId)) return false;
        const now = this.deps.clock.now();
        const idleMs = this.idleMs(conv, session);
        const idleFor = now - Math.max(snap.lastAt, session.startedAt);
        if (reason === 'idle' && idleFor < idleMs) {
          this.timers.touch(conv, session.id, idleMs - idleFor);
          return false;
        }
        const closing = await this.streams.closing(conv, snap);
        const { value: rest, events } = endingSession(closing?.value ?? snap.value, session.id, now, reason);
        const ended = markRequest(events, request, true);
        const ok = await this.commit(conv, [...(closing?.entries ?? []), ...ended], {
          state: { expectedVersion: snap.version, value: rest },
          fence: lease.fence,
        });
        if (ok) {
          if (closing) this.streams.abort(conv.id, closing.id);
          this.timers.forget(conv.id);
          return true;
        }
      }
      throw new CoreError('STATE_CONFLICT');
    });
  }

  /** Run the bot for a trigger and store + publish what it says. */
  private async answer(
    ctx: TurnContext,
    snap: StateSnapshot,
    sessionId: string,
    trigger: BotTrigger,
    audience: string | undefined,
    lease: Lease,
  ): Promise<void> {
    const conv = ctx.conversation;
    const replied = (await botReply(this.deps, this.deps.botFor(conv.botId), ctx, snap.value.dialog, sessionId, trigger, audience, false))!;
    const dialog = replied.dialog;
    const dialogChanged = dialog !== snap.value.dialog;
    if (replied.stream) return this.openStream(ctx, snap, sessionId, replied.entries, dialog, replied.stream, lease);
    const asked = handoffAsked(snap.value, replied.entries, this.deps.clock.now(), sessionId, this.settings.defaultQueue);
    const entries = markRequest(asked ? [...replied.entries, ...asked.entries] : replied.entries, ctx.request, true);
    if (entries.length === 0 && !dialogChanged) return;
    const state = dialogChanged || asked ? { expectedVersion: snap.version, value: stateWith(asked?.value ?? snap.value, { dialog }) } : undefined;
    const written = await this.commit(conv, entries, state ? { state, fence: lease.fence } : { fence: lease.fence });
    if (!written) {
      // Only a writer without our lock can cause this; keep what the user must see, drop the dialog step.
      this.deps.log.error({ conversation: conv.id }, 'bot.state_conflict');
      await this.commit(conv, entries, { fence: lease.fence });
    }
  }

  /** Store a streaming turn's outputs with the stream's opening entry and marker, then run the stream unlocked. */
  private async openStream(ctx: TurnContext, snap: StateSnapshot, sessionId: string, outputs: readonly NewEntry[], dialog: unknown, stream: BotStream, lease: Lease): Promise<void> {
    const conv = ctx.conversation;
    const { entry, marker } = this.streams.opening(conv, sessionId, ctx.request?.id, snap.headSeq);
    const value = stateWith(snap.value, { dialog, stream: marker });
    const written = await this.commit(conv, markRequest([...outputs, entry], ctx.request, false), { state: { expectedVersion: snap.version, value }, fence: lease.fence });
    if (!written) {
      this.deps.log.error({ conversation: conv.id }, 'bot.state_conflict');
      return;
    }
    this.streams.start(conv, marker, stream);
  }

  /**
   * A user message is stored: the entries up to it (`accepted` of them: what the append put before it, and the
   * message) are published first, so the sender's connection sees session events before the ack; then the ack,
   * then the rest (the bot's answer). The session's idle countdown restarts.
   */
  private acknowledge(conv: ConversationRef, entries: readonly Entry[], accepted: number, onAccepted: (a: Accepted) => void, sessionId: string, idleMs: number): void {
    this.deps.hub.publish(conv.id, entries.slice(0, accepted));
    onAccepted({ seq: entries[accepted - 1]!.seq, duplicate: false });
    this.deps.hub.publish(conv.id, entries.slice(accepted));
    this.timers.touch(conv, sessionId, idleMs);
  }

  /** Append and publish; false on a version conflict. */
  private async commit(conv: ConversationRef, entries: readonly NewEntry[], options: AppendOptions): Promise<Entry[] | false> {
    const result = await this.deps.store.append(conv, entries, options);
    if (result.ok) {
      const indexing = this.indexed(conv, result.entries, options.state?.value);
      if (indexing) await indexing;
      this.deps.hub.publish(conv.id, result.entries);
      return result.entries as Entry[];
    }
    if (result.reason === 'conflict') return false;
    if (result.reason === 'fenced') throw new CoreError('FENCED');
    throw new CoreError('INTERNAL', 'unexpected duplicate');
  }

  /** Tell the observer of commits, and keep the desk's index in line when a commit moved a handoff. */
  private indexed(conv: ConversationRef, entries: readonly Entry[], state: ConversationState | undefined): Promise<void> | undefined {
    try {
      this.deps.committed?.(conv, entries, state);
    } catch (err) {
      this.deps.log.warn({ err, conversation: conv.id }, 'conversation.observer_failed');
    }
    return this.deps.desk ? syncIndex(this.deps.desk, conv, entries, state) : undefined;
  }

  private locked<T>(conv: ConversationRef, fn: (lease: Lease) => Promise<T>): Promise<T> {
    return this.deps.sequencer.run(conv.id, fn);
  }
}
