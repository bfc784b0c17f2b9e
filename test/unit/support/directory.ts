import type { AppRecord, BotRecord, ChannelRecord, Directory } from '../../../src/core/ports/directory.js';

/** A small in-memory Directory whose contents a test edits directly. */
export class TestDirectory implements Directory {
  readonly botsById = new Map<string, BotRecord>();
  readonly appsById = new Map<string, AppRecord>();
  readonly blocked = new Set<string>();
  readonly channelsById = new Map<string, ChannelRecord>();

  constructor(bots: readonly BotRecord[] = [], apps: readonly AppRecord[] = []) {
    for (const b of bots) this.botsById.set(b.id, b);
    for (const a of apps) this.appsById.set(a.clientId, a);
  }

  async bot(botId: string): Promise<BotRecord | null> {
    return this.botsById.get(botId) ?? null;
  }
  async bots(): Promise<readonly BotRecord[]> {
    return [...this.botsById.values()];
  }
  async app(clientId: string): Promise<AppRecord | null> {
    return this.appsById.get(clientId) ?? null;
  }
  async channel(channelId: string): Promise<ChannelRecord | null> {
    return this.channelsById.get(channelId) ?? null;
  }
  async isUserBlocked(botId: string, userId: string): Promise<boolean> {
    return this.blocked.has(`${botId}|${userId}`);
  }
  /** Tests that edit the maps bump this, as the SQLite tenancy does on every change. */
  changes = 0;
  async revision(): Promise<number> {
    return this.changes;
  }
}
