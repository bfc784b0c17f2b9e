import type { AppRecord, ChannelRecord } from '../../core/ports/directory.js';
import type { Tenancy } from '../../core/ports/tenancy.js';
import { toApp, toChannel, type AppRow, type ChannelRow } from '../shared/tenancy-rows.js';
import type { Db } from './database.js';

/**
 * Tenancy changed at run time (by the CLI or an admin), stored beside the conversations so a running
 * server sees it without a restart: SDK apps, blocked users, suspended bots.
 */
export class SqliteTenancy implements Tenancy {
  private readonly stmt;
  private readonly bump;

  constructor(private readonly db: Db) {
    this.stmt = {
      revision: db.prepare<[], { revision: number }>('SELECT revision FROM tenancy_revision WHERE id = 1'),
      touch: db.prepare('UPDATE tenancy_revision SET revision = revision + 1 WHERE id = 1'),
      app: db.prepare<[string], AppRow>('SELECT * FROM apps WHERE client_id = ?'),
      apps: db.prepare<[], AppRow>('SELECT * FROM apps ORDER BY created_at'),
      insertApp: db.prepare(
        'INSERT INTO apps (client_id, name, client_secret, public_key, algorithms, bot_ids, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      deleteApp: db.prepare('DELETE FROM apps WHERE client_id = ?'),
      channel: db.prepare<[string], ChannelRow>('SELECT * FROM channels WHERE id = ?'),
      channels: db.prepare<[], ChannelRow>('SELECT * FROM channels ORDER BY created_at, id'),
      insertChannel: db.prepare('INSERT INTO channels (id, bot_id, name, key_hash, origins, idle_timeout_sec, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      deleteChannel: db.prepare('DELETE FROM channels WHERE id = ?'),
      blocked: db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM blocked_users WHERE bot_id = ? AND user_id = ?'),
      block: db.prepare('INSERT OR REPLACE INTO blocked_users (bot_id, user_id, identity, created_at) VALUES (?, ?, ?, ?)'),
      unblock: db.prepare('DELETE FROM blocked_users WHERE bot_id = ? AND user_id = ?'),
      suspended: db.prepare<[string], { suspended: number }>('SELECT suspended FROM bot_flags WHERE bot_id = ?'),
      setSuspended: db.prepare(
        'INSERT INTO bot_flags (bot_id, suspended) VALUES (?, ?) ON CONFLICT (bot_id) DO UPDATE SET suspended = excluded.suspended',
      ),
    };
    /** Run a change and move the revision in the same transaction, so watchers never miss it. */
    this.bump = <A extends unknown[], R>(fn: (...args: A) => R) =>
      this.db.transaction((...args: A): R => {
        const r = fn(...args);
        this.stmt.touch.run();
        return r;
      });
  }

  /** Moves whenever apps, blocks or suspensions change (in any process). */
  async revision(): Promise<number> {
    return this.stmt.revision.get()?.revision ?? 0;
  }

  async app(clientId: string): Promise<AppRecord | null> {
    const row = this.stmt.app.get(clientId);
    return row ? toApp(row) : null;
  }

  async apps(): Promise<AppRecord[]> {
    return this.stmt.apps.all().map(toApp);
  }

  async createApp(app: AppRecord, now: number): Promise<void> {
    this.bump(() => this.stmt.insertApp.run(
      app.clientId,
      app.name,
      app.clientSecret ?? null,
      app.publicKey ?? null,
      JSON.stringify(app.algorithms),
      JSON.stringify(app.botIds),
      now,
    ))();
  }

  async deleteApp(clientId: string): Promise<boolean> {
    return this.bump(() => this.stmt.deleteApp.run(clientId).changes > 0)();
  }

  async channel(channelId: string): Promise<ChannelRecord | null> {
    const row = this.stmt.channel.get(channelId);
    return row ? toChannel(row) : null;
  }

  async channels(): Promise<ChannelRecord[]> {
    return this.stmt.channels.all().map(toChannel);
  }

  async createChannel(c: ChannelRecord, now: number): Promise<void> {
    this.bump(() => this.stmt.insertChannel.run(c.id, c.botId, c.name, c.keyHash, JSON.stringify(c.origins), c.idleTimeoutSec ?? null, now))();
  }

  async deleteChannel(channelId: string): Promise<boolean> {
    return this.bump(() => this.stmt.deleteChannel.run(channelId).changes > 0)();
  }

  async isBlocked(botId: string, userId: string): Promise<boolean> {
    return this.stmt.blocked.get(botId, userId) !== undefined;
  }

  async block(botId: string, userId: string, identity: string | null, now: number): Promise<void> {
    this.bump(() => this.stmt.block.run(botId, userId, identity, now))();
  }

  async unblock(botId: string, userId: string): Promise<boolean> {
    return this.bump(() => this.stmt.unblock.run(botId, userId).changes > 0)();
  }

  /** `undefined` when the bot's suspension was never set at run time (the config file decides). */
  async suspended(botId: string): Promise<boolean | undefined> {
    const row = this.stmt.suspended.get(botId);
    return row === undefined ? undefined : row.suspended === 1;
  }

  async setSuspended(botId: string, suspended: boolean): Promise<void> {
    this.bump(() => this.stmt.setSuspended.run(botId, suspended ? 1 : 0))();
  }
}
