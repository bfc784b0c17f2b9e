import type { AppRecord, ChannelRecord } from '../../core/ports/directory.js';
import type { Tenancy } from '../../core/ports/tenancy.js';
import { toApp, toChannel, type AppRow, type ChannelRow } from '../shared/tenancy-rows.js';
import type { Pool } from './database.js';

const BUMP = 'UPDATE tenancy_revision SET revision = revision + 1 WHERE id = 1';

/**
 * Run-time tenancy on PostgreSQL (the cluster's sibling of `SqliteTenancy`, same tables): what the CLI
 * writes on any machine is read by every node; each change moves the revision in the same transaction,
 * and nodes poll `revision()` to apply it to open connections.
 */
export class PostgresTenancy implements Tenancy {
  constructor(private readonly pool: Pool) {}

  async revision(): Promise<number> {
    const { rows } = await this.pool.query<{ revision: number }>({ name: 'tenancy_revision', text: 'SELECT revision FROM tenancy_revision WHERE id = 1' });
    return rows[0]?.revision ?? 0;
  }

  async app(clientId: string): Promise<AppRecord | null> {
    const { rows } = await this.pool.query<AppRow>({ name: 'tenancy_app', text: 'SELECT * FROM apps WHERE client_id = $1', values: [clientId] });
    return rows[0] ? toApp(rows[0]) : null;
  }

  async apps(): Promise<AppRecord[]> {
    const { rows } = await this.pool.query<AppRow>('SELECT * FROM apps ORDER BY created_at, client_id');
    return rows.map(toApp);
  }

  createApp(app: AppRecord, now: number): Promise<void> {
    return this.change(
      'INSERT INTO apps (client_id, name, client_secret, public_key, algorithms, bot_ids, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [app.clientId, app.name, app.clientSecret ?? null, app.publicKey ?? null, JSON.stringify(app.algorithms), JSON.stringify(app.botIds), now],
    ).then(() => undefined);
  }

  async deleteApp(clientId: string): Promise<boolean> {
    return (await this.change('DELETE FROM apps WHERE client_id = $1', [clientId])) > 0;
  }

  async channel(channelId: string): Promise<ChannelRecord | null> {
    const { rows } = await this.pool.query<ChannelRow>({ name: 'tenancy_channel', text: 'SELECT * FROM channels WHERE id = $1', values: [channelId] });
    return rows[0] ? toChannel(rows[0]) : null;
  }

  async channels(): Promise<ChannelRecord[]> {
    const { rows } = await this.pool.query<ChannelRow>('SELECT * FROM channels ORDER BY created_at, id');
    return rows.map(toChannel);
  }

  async createChannel(c: ChannelRecord, now: number): Promise<void> {
    await this.change(
      'INSERT INTO channels (id, bot_id, name, key_hash, origins, idle_timeout_sec, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [c.id, c.botId, c.name, c.keyHash, JSON.stringify(c.origins), c.idleTimeoutSec ?? null, now],
    );
  }

  async deleteChannel(channelId: string): Promise<boolean> {
    return (await this.change('DELETE FROM channels WHERE id = $1', [channelId])) > 0;
  }

  async isBlocked(botId: string, userId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query({
      name: 'tenancy_blocked',
      text: 'SELECT 1 FROM blocked_users WHERE bot_id = $1 AND user_id = $2',
      values: [botId, userId],
    });
    return (rowCount ?? 0) > 0;
  }

  async block(botId: string, userId: string, identity: string | null, now: number): Promise<void> {
    await this.change(
      `INSERT INTO blocked_users (bot_id, user_id, identity, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (bot_id, user_id) DO UPDATE SET identity = excluded.identity, created_at = excluded.created_at`,
      [botId, userId, identity, now],
    );
  }

  async unblock(botId: string, userId: string): Promise<boolean> {
    return (await this.change('DELETE FROM blocked_users WHERE bot_id = $1 AND user_id = $2', [botId, userId])) > 0;
  }

  async suspended(botId: string): Promise<boolean | undefined> {
    const { rows } = await this.pool.query<{ suspended: number }>({
      name: 'tenancy_suspended',
      text: 'SELECT suspended FROM bot_flags WHERE bot_id = $1',
      values: [botId],
    });
    return rows[0] === undefined ? undefined : rows[0].suspended === 1;
  }

  async setSuspended(botId: string, suspended: boolean): Promise<void> {
    await this.change(
      'INSERT INTO bot_flags (bot_id, suspended) VALUES ($1, $2) ON CONFLICT (bot_id) DO UPDATE SET suspended = excluded.suspended',
      [botId, suspended ? 1 : 0],
    );
  }

  /** Run a change and move the revision in one transaction; resolves with the rows the change touched. */
  private async change(sql: string, values: unknown[]): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rowCount } = await client.query(sql, values);
      await client.query(BUMP);
      await client.query('COMMIT');
      return rowCount ?? 0;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }
}
