import type { SessionValue, UserInput } from './model.js';

/**
 * What a client can ask of a conversation, independent of protocol. Protocol codecs decode wire frames
 * into these; the conversation service and the connection handle them.
 */
export type InboundCommand =
  /** A user message (typed text, a button choice or a submitted form), with session variables the client set. */
  | {
      readonly type: 'message';
      readonly input: UserInput;
      readonly clientMessageId?: string;
      readonly sessionVars?: Readonly<Record<string, SessionValue>>;
    }
  /** Application-level keep-alive; answered, never stored. */
  | { readonly type: 'ping'; readonly id?: string }
  /** The client confirms it received a frame. */
  | { readonly type: 'deliveryAck'; readonly messageId?: string }
  /** The user ends the conversation session. */
  | { readonly type: 'closeSession'; readonly clientMessageId?: string }
  /** A client-side signal (typing, read receipts …); accepted, not stored. */
  | { readonly type: 'clientEvent'; readonly event: string; readonly clientMessageId?: string };

export type CommandType = InboundCommand['type'];
