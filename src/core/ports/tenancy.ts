import type { AppRecord, ChannelRecord } from './directory.js';

/**
 * Tenancy changed at run time (by the CLI or an admin): SDK apps, blocked users, suspended bots. Stored
 * beside the conversations — SQLite for one node, PostgreSQL for a cluster — so every node sees a change
 * without a restart. Guarantees (checked by `core/testing/tenancy-suite`): what is written is read back by
 * any instance on the same database, and `revision` moves with every change, in the same transaction.
 */
export interface Tenancy {
  /** Moves whenever apps, blocks or suspensions change (in any process). */
  revision(): Promise<number>;
  app(clientId: string): Promise<AppRecord | null>;
  /** Oldest first. */
  apps(): Promise<AppRecord[]>;
  createApp(app: AppRecord, now: number): Promise<void>;
  deleteApp(clientId: string): Promise<boolean>;
  channel(channelId: string): Promise<ChannelRecord | null>;
  /** Oldest first. */
  channels(): Promise<ChannelRecord[]>;
  createChannel(channel: ChannelRecord, now: number): Promise<void>;
  deleteChannel(channelId: string): Promise<boolean>;
  isBlocked(botId: string, userId: string): Promise<boolean>;
  block(botId: string, userId: string, identity: string | null, now: number): Promise<void>;
  unblock(botId: string, userId: string): Promise<boolean>;
  /** `undefined` when the bot's suspension was never set at run time (the config file decides). */
  suspended(botId: string): Promise<boolean | undefined>;
  setSuspended(botId: string, suspended: boolean): Promise<void>;
}
