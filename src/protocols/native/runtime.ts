import type { Hub } from '../../core/fanout/hub.js';
import type { HandoffDesk } from '../../core/handoff/desk.js';
import type { Clock } from '../../core/ports/clock.js';
import type { DeskStore } from '../../core/ports/desk-store.js';
import type { Logger } from '../../core/ports/logger.js';
import type { Presence } from '../../core/ports/presence.js';
import type { ConversationStore } from '../../core/ports/store.js';

export interface NativeSettings {
  /** Malformed frames tolerated per minute before the socket is closed with PROTOCOL_VIOLATION (1002). */
  readonly maxViolations: number;
  /** An agent's presence lives this long after its last heartbeat (its node died: gone by itself). */
  readonly presenceTtlMs: number;
  /** Heartbeat of each connected agent's presence. */
  readonly heartbeatMs: number;
  /** How often the queue board is read (desk index + presence) and pushed where it changed. */
  readonly boardEveryMs: number;
  /** Messages of the transcript a console gets when a chat opens without a pick-up (another tab, resume). */
  readonly transcriptSize: number;
}

export const DEFAULT_NATIVE_SETTINGS: NativeSettings = {
  maxViolations: 10,
  presenceTtlMs: 30_000,
  heartbeatMs: 10_000,
  boardEveryMs: 1000,
  transcriptSize: 50,
};

/** What the agent console's protocol needs of the node. */
export interface NativeRuntime {
  readonly desk: HandoffDesk;
  /** Agent accounts and the index of open handoffs. */
  readonly accounts: DeskStore;
  readonly presence: Presence;
  readonly hub: Hub;
  readonly store: ConversationStore;
  readonly clock: Clock;
  readonly log: Logger;
  /** This node's id (presence records name the node holding an agent's console). */
  readonly node: string;
  readonly settings: NativeSettings;
}
