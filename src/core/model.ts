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

export type Content =
  | { readonly type: 'text'; readonly text: string }
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

/** What a user said: the text the bot reads, and (for a button choice) the title the user saw. */
export interface UserInput {
  readonly text: string;
  /** The label shown in the user's bubble when it differs from `text` (a button's title). */
  readonly display?: string;
  readonly attachments?: readonly Attachment[];
}

/** Conversation events carried in the log. Names are channel-neutral; encoders map them. */
export type EventName =
  | 'session_start'
  | 'session_end'
  | 'waiting_for_user_input'
  | 'form_delivered'
  | 'form_submitted'
  | 'form_failure'
  | 'agent_session_start'
  | 'agent_session_end';

export type SessionEndReason = 'idle' | 'closed' | 'reset';

export type EntryBody =
  | { readonly kind: 'user_message'; readonly input: UserInput }
  | { readonly kind: 'bot_message'; readonly content: Content }
  | { readonly kind: 'event'; readonly name: EventName; readonly reason?: SessionEndReason };

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
}

/** An entry in the conversation log. `seq` is dense and strictly increasing per conversation, from 1. */
export interface Entry extends NewEntry {
  readonly seq: number;
  readonly conversationId: string;
}

/** The small per-conversation state row, written with an optimistic version. */
export interface ConversationState {
  readonly session?: { readonly id: string; readonly startedAt: number };
  /** Opaque to the core: owned by the bot engine. */
  readonly dialog?: unknown;
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
