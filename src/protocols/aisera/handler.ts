import type { Gate } from '../../auth/gate.js';
import type { ConversationService, TurnContext } from '../../core/conversation/service.js';
import { CoreError, toCoreError } from '../../core/errors.js';
import type { Hub, Subscriber } from '../../core/fanout/hub.js';
import type { HandoffDesk } from '../../core/handoff/desk.js';
import type { AgentAccount } from '../../core/ports/desk-store.js';
import { conversationIdFor, userIdFor } from '../../core/ids.js';
import type { ChannelCapabilities, ConversationRef, Entry, FormFieldType, SessionValue, UserInput } from '../../core/model.js';
import type { Clock } from '../../core/ports/clock.js';
import type { ChannelRecord, Directory } from '../../core/ports/directory.js';
import type { Logger } from '../../core/ports/logger.js';
import type { ConversationStore } from '../../core/ports/store.js';
import { decodeRequest, isRejection, parseRequest, type AiseraRequest, type Capabilities, type FieldProblem } from './decode.js';
import { directFrame, errorFrame, FrameAssembler, historyItems, type Frame, type FrameView } from './encode.js';
import { findChoice, formState, hadUserTurn, sessionEntries, surveyCompleted } from './lookup.js';
import type { HandoffSeen } from './liveagent.js';
import { AgentFeed } from './agent-feed.js';
import { AgentSide, type AgentLink } from './agent-side.js';
import type { ReqId } from './schema.js';
import { TokenCache, type AiseraTokens, type Principal } from './tokens.js';


/** The identity an Aisera user of a channel has in Colloquy (blocks name it: `colloquy user block --channel`). */
export const aiseraIdentity = (channelId: string, userId: string): string => `aisera:${channelId}:${userId}`;
/** Everything the Aisera channel needs from the node; shared by every transport (raw WS, Socket.IO, REST). */
export interface AiseraRuntime {
  readonly conversations: ConversationService;
  readonly hub: Hub;
  readonly store: ConversationStore;
  readonly directory: Directory;
  readonly gate: Gate;
  readonly tokens: AiseraTokens;
  readonly clock: Clock;
  readonly log: Logger;
  /** Each conversation's idle timeout, learned from its channel (the service asks it; see idleTimeoutFor). */
  readonly idle: IdleByConversation;
  readonly settings: {
    /** Session idle timeout of channels that set none, ms. */
    readonly idleTimeoutMs: number;
    readonly maxAuthFailures: number;
  };
  /** Does this bot define the end-of-session survey (a flow named {@link SURVEY_FLOW})? */
  readonly hasSurvey: (botId: string) => boolean;
  /** The live-agent desk agent principals act on. */
  readonly desk: HandoffDesk;
  /** An agent's account, if the agent has one (name, capacity). */
  readonly agentAccount: (agentId: string) => Promise<AgentAccount | null>;
  /** How often a node with agent sockets reads the desk's index for new handoffs, ms (default 1000). */
  readonly agentFeedEveryMs?: number;
}

/** The flow a bot defines to be its end-of-session survey (docs/protocols/aisera.md). */
export const SURVEY_FLOW = 'end_session_survey';

/** One client of the channel: a socket (raw WS or Socket.IO) or one REST call. */
export interface AiseraClient {
  readonly deviceId: string;
  /** The browser origin of the connection or call (absent for servers). */
  readonly origin: string | undefined;
  readonly tokens: TokenCache;
  /**
   * From now on deliver this conversation's frames to the client (a socket keeps following; REST until it
   * answers). A new follower starts at the log head, or at the start of the answer being streamed.
   * `streamInProgress`: follow only if an answer is being streamed.
   */
  follow(conv: ConversationRef, view: FrameView, only?: { readonly streamInProgress: true }): Promise<void>;
  /** A frame for this client only: errors, history, an already-ended session. */
  reply(frame: Frame): void;
  /** The capabilities in force for this conversation: the declared ones, else the last declared (sticky), else none. */
  capabilities(conversationId: string, declared: Capabilities | undefined): Capabilities;
  /** Notes about an accepted request (ignored fields, the `userid` spelling), for its final frame to this client. */
  warn(reqId: ReqId, warnings: readonly string[]): void;
  /** A socket: what it offers agent principals (new handoffs, picked-up conversations). REST calls have none. */
  readonly agentLink?: AgentLink;
  /** `POST /api/liveagent/events`: only agent principals may call it. */
  readonly agentOnly?: boolean;
  /** Authentication failed / succeeded (a socket closes after too many failures in a row). */
  authFailed?(): void;
  authSucceeded?(): void;
}

/** The field types every Aisera client with `isFormSupported` renders: all of them (the seed's form sample). */
const ALL_FIELD_TYPES: readonly FormFieldType[] = ['text', 'textarea', 'date', 'dropdown', 'radio', 'checkboxes', 'number', 'boolean'];
const FORMS: ChannelCapabilities = { forms: { fieldTypes: ALL_FIELD_TYPES, keptAfterSubmit: true } };
/** How much of the log a request may look back at for follow-ups, forms and history. */
const LOOKBACK = 400;
const HISTORY_MAX = 200;
/** How long a channel's record is trusted without a tenancy change (the node drops them on every change). */
const CHANNEL_CACHE_MS = 60_000;
/** Presented credentials that failed: three in a row close a socket (a missing token is only a malformed request). */
const AUTH_ERRORS = new Set(['TOKEN_INVALID', 'TOKEN_EXPIRED', 'CHANNEL_MISMATCH', 'IDENTITY_MISMATCH']);

/** Conversation id → idle timeout (ms) of its channel, for the conversation service; bounded. */
export class IdleByConversation {
  private readonly map = new Map<string, number>();
  constructor(private readonly max = 100_000) {}
  set(conversationId: string, ms: number): void {
    this.map.delete(conversationId);
    this.map.set(conversationId, ms);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
  get(conversationId: string): number | undefined {
    return this.map.get(conversationId);
  }
}

/** Whose rate-limit budget an agent's requests spend: never a user's (user ids never start so). */
const agentBudgetKey = (agentId: string): string => `agent:${agentId}`;

/** A client's subscription to one conversation: entries in, frames out. */
export class Binding implements Subscriber {
  private readonly assembler: FrameAssembler;
  constructor(
    readonly id: string,
    readonly conversationId: string,
    view: FrameView,
    private readonly send: (frames: readonly string[]) => void,
    handoff?: HandoffSeen,
  ) {
    this.assembler = new FrameAssembler(view, handoff);
  }
  setView(view: FrameView): void {
    this.assembler.setView(view);
  }
  deliver(entries: readonly Entry[]): void {
    for (const e of entries) this.assembler.push(e);
    const frames = this.assembler.flush();
    if (frames.length > 0) this.send(frames);
  }
}

class Refusal {
  constructor(
    readonly error: CoreError,
    readonly errors: readonly FieldProblem[] = [],
    readonly sessionId: string | null = null,
  ) {}
}

/**
 * The one request handler of the Aisera channel: validate (§2), authenticate (§4), classify (§2.5), then run
 * the request through the conversation service (persist → publish → frames to every connection of the user).
 * A refused request gets an `Error` frame on its own client and changes nothing.
 */
export class AiseraHandler {
  /** Requests in flight per conversation, by reqId: a second one with the same id is refused (409). */
  private readonly inFlight = new Map<string, Set<string>>();
  /** Channels looked up recently (a request names its channel every time); dropped when tenancy changes. */
  private readonly channels = new Map<string, { readonly record: ChannelRecord; readonly at: number }>();

  private readonly feed: AgentFeed;
  private readonly agents: AgentSide;

  constructor(private readonly rt: AiseraRuntime) {
    this.feed = new AgentFeed({ desk: rt.desk, store: rt.store, clock: rt.clock, log: rt.log }, rt.agentFeedEveryMs);
    this.agents = new AgentSide({ desk: rt.desk, hub: rt.hub, store: rt.store, clock: rt.clock, feed: this.feed, account: rt.agentAccount });
  }

  /** Stop telling agents of new handoffs (shutdown). */
  stop(): void {
    this.feed.stop();
  }

  /** Tenancy changed (a channel created, changed or deleted): look channels up again. */
  forget(): void {
    this.channels.clear();
  }

  private async channel(id: string): Promise<ChannelRecord | null> {
    const now = this.rt.clock.now();
    const hit = this.channels.get(id);
    if (hit && now - hit.at < CHANNEL_CACHE_MS) return hit.record;
    const record = await this.rt.directory.channel(id);
    if (record) {
      this.channels.set(id, { record, at: now });
      if (this.channels.size > 10_000) this.channels.delete(this.channels.keys().next().value!);
    } else this.channels.delete(id);
    return record;
  }

  /** Handle one request (the text of a frame or body). Resolves when its last frame went out. */
  async handle(text: string | unknown, client: AiseraClient): Promise<void> {
    const decoded = decodeRequest(typeof text === 'string' ? parseRequest(text) : text);
    if (isRejection(decoded)) {
      client.reply(errorFrame(decoded.error, decoded, decoded.errors, this.rt.clock.now()));
      if (AUTH_ERRORS.has(decoded.error.code)) client.authFailed?.();
      return;
    }
    const echo = { reqId: decoded.reqId, userId: decoded.userId, channelId: decoded.channelId };
    if (decoded.warnings.length > 0) client.warn(decoded.reqId, decoded.warnings);
    try {
      await this.run(decoded, client);
    } catch (err) {
      if (err instanceof Refusal) {
        client.reply(errorFrame(err.error, { ...echo, sessionId: err.sessionId }, err.errors, this.rt.clock.now()));
        if (AUTH_ERRORS.has(err.error.code)) client.authFailed?.();
        return;
      }
      const e = toCoreError(err);
      if (e.code === 'INTERNAL') this.rt.log.error({ err }, 'aisera.request_failed');
      client.reply(errorFrame(e.code === 'INTERNAL' ? new CoreError('STORE_UNAVAILABLE') : e, echo, [], this.rt.clock.now()));
    }
  }

  private async run(req: AiseraRequest, client: AiseraClient): Promise<void> {
    const channel = await this.channel(req.channelId);
    if (!channel) throw new Refusal(new CoreError('CHANNEL_NOT_FOUND'), [{ path: 'channelId', message: 'no channel has this id' }]);
    if (client.origin !== undefined && !channel.origins.includes('*') && !channel.origins.includes(client.origin)) {
      throw new Refusal(new CoreError('ORIGIN_NOT_ALLOWED'), [{ path: '$', message: `origin ${client.origin} is not allowed on this channel` }]);
    }
    const principal = await this.authenticate(req, channel, client);
    client.authSucceeded?.();
    if (principal.kind === 'agent') {
      // The agent side: the live-agent desk (agent-side.ts), with a budget per agent like a user's per user.
      try {
        await this.rt.gate.spend(channel.botId, agentBudgetKey(principal.sub));
      } catch (err) {
        throw new Refusal(toCoreError(err));
      }
      return this.agents.handle(req, channel, principal, (f) => client.reply(f), client.agentLink);
    }
    if (req.kind.type === 'agent' || client.agentOnly) {
      throw new Refusal(new CoreError('FORBIDDEN_REQUEST_TYPE'), [{ path: req.kind.type === 'agent' ? 'data.type' : 'token', message: 'needs an agent token' }]);
    }

    const internalUser = userIdFor(aiseraIdentity(channel.id, req.userId));
    const conversation: ConversationRef = { id: conversationIdFor(channel.botId, internalUser), botId: channel.botId, userId: internalUser };
    this.rt.idle.set(conversation.id, (channel.idleTimeoutSec ?? this.rt.settings.idleTimeoutMs / 1000) * 1000);
    try {
      await this.rt.gate.message(channel.botId, internalUser);
    } catch (err) {
      throw new Refusal(toCoreError(err));
    }
    const key = `${typeof req.reqId}:${req.reqId}`;
    let flying = this.inFlight.get(conversation.id);
    if (flying?.has(key)) throw new Refusal(new CoreError('DUPLICATE_REQ_ID'), [{ path: 'data.reqId', message: 'a request with this reqId is still in flight' }]);
    if (!flying) this.inFlight.set(conversation.id, (flying = new Set()));
    flying.add(key);
    try {
      await this.dispatch(req, client, conversation);
    } finally {
      flying.delete(key);
      if (flying.size === 0) this.inFlight.delete(conversation.id);
    }
  }

  private async authenticate(req: AiseraRequest, channel: ChannelRecord, client: AiseraClient): Promise<Principal> {
    const now = this.rt.clock.now();
    let principal = client.tokens.get(req.token, channel.id, now);
    if (!principal) {
      const verdict = await this.rt.tokens.verify(req.token, channel);
      if (verdict instanceof CoreError) throw new Refusal(verdict, [{ path: 'token', message: verdict.message }]);
      principal = verdict;
      client.tokens.put(req.token, channel.id, principal);
    }
    if (principal.kind === 'user') {
      if (principal.sub !== req.userId) throw new Refusal(new CoreError('IDENTITY_MISMATCH'), [{ path: 'userId', message: 'is not the user of the token' }]);
      if (principal.email !== undefined && req.userEmail !== undefined && principal.email.toLowerCase() !== req.userEmail.toLowerCase()) {
        throw new Refusal(new CoreError('IDENTITY_MISMATCH'), [{ path: 'userEmail', message: 'is not the email of the token' }]);
      }
    }
    return principal;
  }

  private async dispatch(req: AiseraRequest, client: AiseraClient, conversation: ConversationRef): Promise<void> {
    const caps = client.capabilities(conversation.id, req.capabilities);
    const view: FrameView = { userId: req.userId, channelId: req.channelId, surveyFlow: SURVEY_FLOW, streaming: caps.isStreamingSupported !== false };
    const sessionVars: Record<string, SessionValue> = {
      ...req.sessionVars,
      ...(req.userFullName !== undefined ? { userFullName: req.userFullName } : {}),
      ...(req.userEmail !== undefined ? { userEmail: req.userEmail } : {}),
    };
    const ctx: TurnContext = {
      conversation,
      deviceId: client.deviceId,
      client: { channel: 'aisera', ...(caps.isFormSupported ? { capabilities: FORMS } : {}), sessionVars },
      request: { id: req.reqId },
    };
    const kind = req.kind;
    const now = () => this.rt.clock.now();
    const ended = (reason: string) =>
      client.reply(directFrame(view, req.reqId, now(), { modeType: 'StatusUpdate', status: { code: 'SessionEnded' }, session: { state: 'ended', endReason: reason } }));
    switch (kind.type) {
      case 'history': {
        const session = await this.rt.conversations.activeSession(conversation);
        const entries = session ? sessionEntries(await this.recent(conversation.id), session.id) : [];
        const items = historyItems(entries, view);
        client.reply(
          directFrame(view, req.reqId, now(), {
            sessionId: session?.id ?? null,
            seq: entries.at(-1)?.seq ?? 0,
            session: { state: session ? 'active' : 'ended' },
            history: items.slice(-HISTORY_MAX),
            historyComplete: items.length <= HISTORY_MAX && (entries[0]?.body.kind === 'event' || entries.length === 0),
          }),
        );
        // A client back mid-answer (history is how it resumes) gets the answer so far and the rest.
        if (session) await client.follow(conversation, view, { streamInProgress: true });
        return;
      }
      case 'sessionTimeout':
        await client.follow(conversation, view);
        if (!(await this.rt.conversations.closeSession(ctx, 'clientTimeout'))) ended('clientTimeout');
        return;
      case 'logout':
        await client.follow(conversation, view);
        if (!(await this.rt.conversations.closeSession(ctx, 'logout'))) ended('logout');
        return;
      case 'reset':
        await client.follow(conversation, view);
        await this.rt.conversations.restart(ctx);
        return;
      case 'endSessionSurvey': {
        // The survey is offered when the bot has one and the user said something this session; else the session just ends.
        await client.follow(conversation, view);
        const session = await this.rt.conversations.activeSession(conversation);
        if (session && this.rt.hasSurvey(conversation.botId) && hadUserTurn(await this.recent(conversation.id), session.id)) {
          await this.rt.conversations.receive(ctx, { text: `/${SURVEY_FLOW}`, display: 'End of session survey' }, undefined, () => {});
          return;
        }
        if (!(await this.rt.conversations.closeSession(ctx, 'closed'))) ended('closed');
        return;
      }
      default:
        break;
    }
    const input = await this.input(req, conversation);
    await client.follow(conversation, view);
    await this.rt.conversations.receive(ctx, input, undefined, () => {});
    // The answer that completed the end-of-session survey ends the session (an unsolicited StatusUpdate follows).
    if (this.rt.hasSurvey(conversation.botId) && kind.type !== 'goBack' && kind.type !== 'startOver') {
      const session = await this.rt.conversations.activeSession(conversation);
      if (session && surveyCompleted(await this.recent(conversation.id), session.id, req.reqId, SURVEY_FLOW)) {
        await this.rt.conversations.closeSession({ conversation, deviceId: client.deviceId }, 'surveyCompleted');
      }
    }
  }

  /** The user input of a turn: typed text, a resolved option, a form, or a navigation action. */
  private async input(req: AiseraRequest, conversation: ConversationRef): Promise<UserInput> {
    const kind = req.kind;
    switch (kind.type) {
      case 'goBack':
        return { text: req.text || 'Go back', action: 'goBack' };
      case 'startOver':
        return { text: req.text || 'Start over', action: 'startOver' };
      case 'exit':
        return { text: req.text, action: 'exit' };
      case 'followUp': {
        const session = await this.rt.conversations.activeSession(conversation);
        const choice = session ? findChoice(await this.recent(conversation.id), session.id, kind.followUpId) : undefined;
        if (!choice) throw new Refusal(new CoreError('FOLLOWUP_EXPIRED'), [{ path: 'data.followUpId', message: 'was not issued in the current session' }], session?.id ?? null);
        return { text: choice.payload, display: req.text.trim() || choice.label };
      }
      case 'form': {
        const session = await this.rt.conversations.activeSession(conversation);
        const state = session ? formState(await this.recent(conversation.id), session.id, kind.formId) : 'unknown';
        if (state === 'submitted') throw new Refusal(new CoreError('FORM_ALREADY_SUBMITTED'), [{ path: 'data.followUpData.formId', message: 'was already submitted' }], session?.id ?? null);
        if (state !== 'pending') throw new Refusal(new CoreError('FORM_NOT_PENDING'), [{ path: 'data.followUpData.formId', message: 'no such form is waiting in this session' }], session?.id ?? null);
        return { text: req.text.trim() || 'Submitted the form', form: { formId: kind.formId, values: kind.values, typed: true } };
      }
      case 'knowledge':
        // Knowledge lookup only: no flow, no dialog state change (docs/protocols/aisera.md).
        return { text: req.text, knowledgeOnly: true };
      default:
        return { text: req.text };
    }
  }

  private async recent(conversationId: string): Promise<readonly Entry[]> {
    const head = (await this.rt.store.getState(conversationId)).headSeq;
    return this.rt.store.readSince(conversationId, Math.max(0, head - LOOKBACK), LOOKBACK);
  }
}

/** The echo fields of a request that could not be read at all. */
export const NO_ECHO = { reqId: null as ReqId | null, userId: null, channelId: null };
