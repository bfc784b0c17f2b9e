import type { AppRecord, BotRecord, Directory, JwtAlgorithm } from '../core/ports/directory.js';
import type { Tenancy } from '../core/ports/tenancy.js';
import type { AppConfig, BotConfig } from './config/schema.js';

const defaultAlgorithms = (a: AppConfig): JwtAlgorithm[] =>
  a.algorithms ? [...a.algorithms] : [...(a.clientSecret ? (['HS256', 'HS512'] as const) : []), ...(a.publicKey ? (['RS256', 'RS512'] as const) : [])];

/**
 * The server's view of tenancy: bots and apps from the config file, plus apps, blocks and suspensions
 * created at run time (read from the database on each lookup, so the CLI's changes apply at once).
 */
export class ConfiguredDirectory implements Directory {
  private readonly botsById: ReadonlyMap<string, BotConfig>;
  private readonly appsById: ReadonlyMap<string, AppRecord>;

  constructor(
    bots: readonly BotConfig[],
    apps: readonly AppConfig[],
    private readonly tenancy: Tenancy,
  ) {
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

  async isUserBlocked(botId: string, userId: string): Promise<boolean> {
    return this.tenancy.isBlocked(botId, userId);
  }

  async revision(): Promise<number> {
    return this.tenancy.revision();
  }
}
