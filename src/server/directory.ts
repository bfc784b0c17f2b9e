import { createHash } from 'node:crypto';
import type { AppRecord, BotRecord, ChannelRecord, Directory, JwtAlgorithm } from '../core/ports/directory.js';
import type { Tenancy } from '../core/ports/tenancy.js';
import type { AppConfig, BotConfig, ChannelConfig } from './config/schema.js';

/** How a channel key is kept: its SHA-256, hex. */
export const channelKeyHash = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

const defaultAlgorithms = (a: AppConfig): JwtAlgorithm[] =>
  a.algorithms ? [...a.algorithms] : [...(a.clientSecret ? (['HS256', 'HS512'] as const) : []), ...(a.publicKey ? (['RS256', 'RS512'] as const) : [])];

/**
 * The server's view of tenancy: bots and apps from the config file, plus apps, blocks and suspensions
 * created at run time (read from the database on each lookup, so the CLI's changes apply at once).
 */
export class ConfiguredDirectory implements Directory {
  private readonly botsById: ReadonlyMap<string, BotConfig>;
  private readonly appsById: ReadonlyMap<string, AppRecord>;
  private readonly channelsById: ReadonlyMap<string, ChannelRecord>;

  constructor(
    bots: readonly BotConfig[],
    apps: readonly AppConfig[],
    private readonly tenancy: Tenancy,
    channels: readonly ChannelConfig[] = [],
  ) {
    this.channelsById = new Map(
      channels.map((c) => [
        c.id,
        { id: c.id, botId: c.bot, name: c.name ?? c.id, keyHash: channelKeyHash(c.key), origins: [...(c.origins ?? [])], ...(c.idleTimeoutSec !== undefined ? { idleTimeoutSec: c.idleTimeoutSec } : {}) },
      ]),
    );
    this.botsById = new Map(bots.map((b) => [b.id, b]));
    this.appsById = new Map(
      apps.map((a) => [a.clientId, { clientId: a.clientId, name: a.name ?? a.clientId, ...(a.clientSecret ? { clientSecret: a.clientSecret } : {}), ...(a.publicKey ? { publicKey: a.publicKey } : {}), algorithms: defaultAlgorithms(a), botIds: [...a.bots] }]),
    );
  }

  async bot(botId: string): Promise<BotRecord | null> {
    const b = this.botsById.get(botId);
    if (!b) return null;
    return {
      id: b.id,
      name: b.name,
      ...(b.icon !== undefined ? { icon: b.icon } : {}),
      suspended: (await this.tenancy.suspended(botId)) ?? b.suspended ?? false,
      ...(b.theme !== undefined ? { theme: b.theme } : {}),
    };
  }

  async bots(): Promise<readonly BotRecord[]> {
    const out: BotRecord[] = [];
    for (const id of this.botsById.keys()) out.push((await this.bot(id))!);
    return out;
  }

  async app(clientId: string): Promise<AppRecord | null> {
    return this.appsById.get(clientId) ?? (await this.tenancy.app(clientId));
  }

  async apps(): Promise<readonly AppRecord[]> {
    return [...this.appsById.values(), ...(await this.tenancy.apps())];
  }

  async channel(channelId: string): Promise<ChannelRecord | null> {
    return this.channelsById.get(channelId) ?? (await this.tenancy.channel(channelId));
  }

  async channels(): Promise<readonly ChannelRecord[]> {
    return [...this.channelsById.values(), ...(await this.tenancy.channels())];
  }

  async isUserBlocked(botId: string, userId: string): Promise<boolean> {
    return this.tenancy.isBlocked(botId, userId);
  }

  async revision(): Promise<number> {
    return this.tenancy.revision();
  }
}
