/**
 * The canonical model. Every frame a client ever sees is derived from an {@link Entry} in a
 * conversation's ordered, durable log; protocols only translate entries at the edge.
 */

export type Role = 'user' | 'bot' | 'agent' | 'system';

export interface Actor {
  readonly role: Role;
  /** User id (`u-…`), bot id (`st-…`), agent id, or `system`. */
  readonly id: string;
}

/** Who a conversation belongs to. A conversation is one user talking to one bot. */
export interface ConversationRef {
  readonly id: string;
  readonly botId: string;
  readonly userId: string;
}

// ---------------------------------------------------------------------------------------------
// Message content: channel-neutral. Protocol encoders degrade what their channel cannot render.

export interface PostbackButton {
  readonly kind: 'postback';
  readonly title: string;
  readonly payload: string;
}
export interface LinkButton {
  readonly kind: 'link';
  readonly title: string;
  readonly url: string;
}
export type Button = PostbackButton | LinkButton;

export interface QuickReply {
  readonly title: string;
  readonly payload: string;
  readonly imageUrl?: string;
}

export interface Card {
  readonly title: string;
  readonly subtitle?: string;
  readonly imageUrl?: string;
  readonly url?: string;
  readonly buttons?: readonly Button[];
}

/** Field types of a form: the field types of the Aisera seed's form sample. */
export type FormFieldType = 'text' | 'textarea' | 'date' | 'dropdown' | 'radio' | 'checkboxes' | 'number' | 'boolean';

export interface FormOption {
  readonly value: string;
  readonly label: string;
}

export interface FormField {
  readonly name: string;
  readonly label: string;
  readonly type: FormFieldType;
  readonly required?: boolean;
  readonly placeholder?: string;
  /** dropdown, radio, checkboxes. */
  readonly options?: readonly FormOption[];
  /** number: bounds; date: `YYYY-MM-DD` bounds. */
  readonly min?: number | string;
  readonly max?: number | string;
  /** text, textarea. */
  readonly maxLength?: number;
  /** number: whole numbers only. */
  readonly integer?: boolean;
  /** checkboxes: at most this many choices. */
  readonly maxSelected?: number;
  readonly default?: FormValue;
}

/** A form to fill in at once, where the client can render forms (see {@link ChannelCapabilities}). */
export interface Form {
  /** Unique per delivery; a submission names the form it answers. */
  readonly id: string;
  readonly title?: string;
  readonly description?: string;
  readonly submitLabel?: string;
  readonly fields: readonly FormField[];
}

export type FormValue = string | number | boolean | readonly string[];

export type Content =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'form'; readonly form: Form }
  | { readonly type: 'buttons'; readonly text: string; readonly buttons: readonly Button[] }
  | { readonly type: 'quickReplies'; readonly text: string; readonly replies: readonly QuickReply[] }
  | { readonly type: 'carousel'; readonly cards: readonly Card[] }
  | { readonly type: 'list'; readonly title?: string; readonly items: readonly Card[]; readonly buttons?: readonly Button[] }
  | { readonly type: 'media'; readonly media: 'image' | 'audio' | 'video' | 'link'; readonly url: string; readonly title?: string };

export interface Attachment {
  readonly fileId: string;
  readonly fileName?: string;
  readonly fileType?: string;
}

/** A filled-in form as the client sent it. */
export interface FormSubmission {
  /** The form answered, when the channel says so (a Kore form does not). */
  readonly formId?: string;
  readonly values: Readonly<Record<string, FormValue>>;
  /**
   * True when values come typed (numbers as numbers, booleans as booleans); false when the channel sends
   * every value as text (the Kore Web SDK), to be read by each field's type.
   */
  readonly typed: boolean;
}

/** Navigation a channel can ask for without words (Aisera's `followUpContext`); typed text works too. */
export type UserAction = 'goBack' | 'startOver' | 'exit';

/** What a user said: the text the bot reads, and (for a button choice) the title the user saw. */
export interface UserInput {
  readonly text: string;
  /** The label shown in the user's bubble when it differs from `text` (a button's title). */
  readonly display?: string;
  readonly attachments?: readonly Attachment[];
  /** The user submitted a form (the text then only describes it). */
  readonly form?: FormSubmission;
  readonly action?: UserAction;
  /** Knowledge lookup only (Aisera `isKL`): answer from the knowledge base, start no flow, change no dialog state. */
  readonly knowledgeOnly?: true;
}

/** A value a client may set on the user's session (Aisera `sessionVars`, Kore `botInfo.customData`). */
export type SessionValue = string | number | boolean | null;

/** What the client a turn comes from can render; decided by its protocol. */
export interface ChannelCapabilities {
  /**
   * The client renders forms with these field types (fields of other types are asked one by one).
   * Absent: no forms; every field is asked one by one.
   */
  readonly forms?: {
    readonly fieldTypes: readonly FormFieldType[];
    /** The client keeps a form open after a failed submission (else the bot sends it again). */
    readonly keptAfterSubmit?: boolean;
  };
}

/** The client of a turn: what it can render and what it told about the user's session. Never stored. */
export interface ClientContext {
  /** The protocol, for logs and templates: `kore`, `aisera`, `native`. */
  readonly channel?: string;
  readonly capabilities?: ChannelCapabilities;
  readonly sessionVars?: Readonly<Record<string, SessionValue>>;
}

/** Conversation events carried in the log. Names are channel-neutral; encoders map them. */
export type EventName =
  | 'session_start'
  | 'session_end'
  | 'waiting_for_user_input'
  | 'form_delivered'
  | 'form_submitted'
  | 'form_failure'
  /** A multi-turn flow started or ended (Aisera `FlowStarted` / `FlowCompleted`). */
  | 'flow_started'
  | 'flow_completed'
  /** The bot asks for a human agent; the live-agent desk takes it from there (`handoff_queued` follows). */
  | 'handoff_requested'
  /** The user waits for an agent of `detail.handoff.queue` (again after a transfer). */
  | 'handoff_queued'
  /** The waiting user's place in the queue and the estimated wait changed (rate-limited). */
  | 'handoff_waiting'
  /** An agent picked the conversation up (`detail.handoff.agent`); the bot is silent until the handoff ends. */
  | 'agent_session_start'
  /** The agent started or stopped typing (`detail.handoff.typing`). */
  | 'agent_typing'
  /** The handoff ended (`detail.handoff.ended` says why); the bot answers again. */
  | 'agent_session_end'
  /** A service the bot called failed and the bot had no way around it (Aisera `ExternalSystemError`). */
  | 'service_failed'
  /**
   * A streamed answer (docs/architecture.md, *Streams*): `stream_status` opens it and reports progress,
   * `stream_chunk` carries one coalesced delta, `stream_completed` ends it; the answer's authoritative content
   * follows the completion as ordinary bot messages.
   */
  | 'stream_status'
  | 'stream_chunk'
  | 'stream_completed';

/** Why a streamed answer ended: complete, cut at the model's length limit, stopped by the user, or failed. */
export type StreamFinish = 'stop' | 'length' | 'aborted' | 'error';

/** What a stream event says about its stream. */
export interface StreamDetail {
  readonly id: string;
  /** `stream_status`: what the bot is doing. */
  readonly status?: 'retrieving' | 'generating';
  /** `stream_chunk`: its place (from 0, contiguous) and text. */
  readonly index?: number;
  readonly delta?: string;
  /** `stream_completed`: how many chunks there were and why it ended. */
  readonly chunkCount?: number;
  readonly finishReason?: StreamFinish;
}

/**
 * Why a handoff ended: the agent completed it, it moved to another queue or agent (`transferred`; a new
 * `handoff_queued` follows), the user left (`userExit`), no agent took it in time (`noAgentAvailable`), the user
 * or the agent went quiet (`userIdle`, `agentIdle`), the session ended (`sessionEnded`), or the external
 * contact centre failed (`connectorError`).
 */
export type HandoffEndReason = 'agentCompleted' | 'transferred' | 'userExit' | 'noAgentAvailable' | 'userIdle' | 'agentIdle' | 'sessionEnded' | 'connectorError';

export interface AgentRef {
  readonly id: string;
  readonly name: string;
}

/** What a handoff event says; each event fills the fields that concern it. */
export interface HandoffDetail {
  /** `h-<uuid>`, one per handoff (kept across transfers). Absent only on the bot's `handoff_requested`. */
  readonly id?: string;
  readonly queue?: string;
  /** Why the bot or user asked for a human (shown to the agent). */
  readonly reason?: string;
  /** The agent who joined, typed or left; on `handoff_queued` after a transfer, the agent it is meant for. */
  readonly agent?: AgentRef;
  /** Place in the queue (1 = next) and estimated wait in seconds. */
  readonly position?: number;
  readonly etaSec?: number;
  readonly typing?: boolean;
  /** A transfer's note for the next agent. */
  readonly note?: string;
  /** `handoff_queued` after a transfer (not the first wait). */
  readonly transferred?: true;
  readonly ended?: HandoffEndReason;
}

/**
 * A conversation handed to humans: `queued` (waiting for an agent of `queue`) or `agent` (an agent owns it).
 * Absent: the bot answers. Kept in the state row and changed only under the conversation's lock with the
 * state's optimistic version, so two agents can never both pick it up.
 */
export interface Handoff {
  readonly id: string;
  readonly status: 'queued' | 'agent';
  readonly queue: string;
  readonly reason?: string;
  /** When the user first asked; when the conversation entered its current queue (reset by a transfer). */
  readonly requestedAt: number;
  readonly queuedAt: number;
  /** `agent`: who owns it, since when. */
  readonly agent?: AgentRef;
  readonly joinedAt?: number;
  /** `queued` after a transfer to one agent: only that agent may pick it up. */
  readonly forAgent?: string;
  readonly note?: string;
  /** The user's and the agent's last message (idle timeouts). */
  readonly lastUserAt: number;
  readonly lastAgentAt?: number;
  /** The last queue position the user was told, and when (updates are rate-limited). */
  readonly told?: { readonly position: number; readonly at: number };
}

export interface FormFieldError {
  readonly field: string;
  readonly message: string;
}

/** Typed facts an event carries, by the thing it is about. */
export interface EventDetail {
  readonly form?: { readonly id: string; readonly errors?: readonly FormFieldError[] };
  readonly flow?: {
    readonly id: string;
    readonly runId: string;
    readonly title?: string;
    readonly status?: 'completed' | 'exited' | 'failed' | 'handoff';
  };
  readonly handoff?: HandoffDetail;
  /**
   * `service_failed`: which step of the bot called out (never the URL), the HTTP status it got (0: none) and
   * why — `timeout`, `network` or `status` (a non-2xx answer).
   */
  readonly service?: {
    readonly name: string;
    readonly status: number;
    readonly failure: 'timeout' | 'network' | 'status';
    /** What kind of service: a bot's HTTP step (default) or a language model answering from knowledge. */
    readonly system?: 'fulfillment' | 'llm';
  };
  readonly stream?: StreamDetail;
}

/**
 * Why a session ended: `idle` (its timer), `closed` (the user closed it), `reset` (a new session replaced it),
 * `logout` (the user logged out), `clientTimeout` (the client's own inactivity timer), `surveyCompleted` (the
 * end-of-session survey was answered).
 */
export type SessionEndReason = 'idle' | 'closed' | 'reset' | 'logout' | 'clientTimeout' | 'surveyCompleted';

/**
 * The client request an entry belongs to (Aisera's `reqId`): every entry a request caused carries its id, and
 * the last one `last: true`, so every connection of the user can tell which frames answer which request and
 * when the answer is complete. A correlation id is not a dedupe key: clients may reuse it.
 */
export interface RequestMark {
  readonly id: string | number;
  readonly last?: true;
}

export type EntryBody =
  | {
      readonly kind: 'user_message';
      readonly input: UserInput;
      /** The message went to humans, not the bot: waiting in a queue, or to the agent who owns the conversation. */
      readonly routed?: 'queue' | 'agent';
    }
  | { readonly kind: 'bot_message'; readonly content: Content }
  | { readonly kind: 'event'; readonly name: EventName; readonly reason?: SessionEndReason; readonly detail?: EventDetail };

/** An entry as written by the core, before the store assigns its `seq`. */
export interface NewEntry {
  /** Globally unique id, `ms-<uuid>`; protocols use it as the message id. */
  readonly id: string;
  readonly at: number;
  readonly from: Actor;
  readonly sessionId?: string;
  readonly body: EntryBody;
  /** Set on user-originated entries: the device that sent it and the client's own message id. */
  readonly origin?: { readonly deviceId: string; readonly clientMessageId?: string };
  /** When set, the entry is shown only to this device (e.g. a welcome for one newly opened window). */
  readonly audience?: { readonly deviceId: string };
  /** The client request this entry answers, when the protocol correlates requests (see {@link RequestMark}). */
  readonly request?: RequestMark;
}

/** An entry in the conversation log. `seq` is dense and strictly increasing per conversation, from 1. */
export interface Entry extends NewEntry {
  readonly seq: number;
  readonly conversationId: string;
}

/** The small per-conversation state row, written with an optimistic version. */
export interface ConversationState {
  /** The active session; `idleMs` when it has its own idle timeout (its channel's), kept so every node honours it. */
  readonly session?: { readonly id: string; readonly startedAt: number; readonly idleMs?: number };
  /** Opaque to the core: owned by the bot engine. */
  readonly dialog?: unknown;
  /** Humans own the conversation while this is set (see {@link Handoff}). */
  readonly handoff?: Handoff;
  /** The streamed answer being written, if any: the next turn of the conversation closes it (see {@link OpenStream}). */
  readonly stream?: OpenStream;
}

/**
 * A stream's marker in the state row: the shared truth of whether it may still write. Its generator (on any
 * node) appends only while the marker is there; a new turn (on any node) removes it and writes the aborted
 * completion in the same commit.
 */
export interface OpenStream {
  readonly id: string;
  /** The log head before the stream's first entry: a client that joins mid-stream replays from here. */
  readonly afterSeq: number;
  readonly sessionId: string;
  /** The request the stream answers (its entries carry the id). */
  readonly request?: string | number;
  readonly startedAt: number;
}

export interface StateSnapshot {
  /** 0 when the conversation has never been written. */
  readonly version: number;
  readonly value: ConversationState;
  /** Highest `seq` in the log; 0 when empty. */
  readonly headSeq: number;
  /** Time of the last append, epoch ms; 0 when empty. */
  readonly lastAt: number;
}
