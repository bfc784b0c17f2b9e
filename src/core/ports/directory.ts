/** Tenancy: the bots this server hosts and the SDK apps allowed to talk to them. */
export interface BotRecord {
  readonly id: string;
  readonly name: string;
  readonly icon?: string;
  readonly suspended: boolean;
  /** Branding for the Kore Web SDK's active-theme call; free-form JSON. */
  readonly theme?: Readonly<Record<string, unknown>>;
}

export type JwtAlgorithm = 'HS256' | 'HS512' | 'RS256' | 'RS512';

export interface AppRecord {
  readonly clientId: string;
  readonly name: string;
  /** Shared secret for HS256/HS512 assertions. */
  readonly clientSecret?: string;
  /** PEM public key (SPKI) for RS256/RS512 assertions. */
  readonly publicKey?: string;
  readonly algorithms: readonly JwtAlgorithm[];
  readonly botIds: readonly string[];
}

/**
 * An Aisera conversation channel: bound to one bot, authenticated by its channel key (kept only as a hash),
 * with the browser origins allowed to use it and its own session idle timeout.
 */
export interface ChannelRecord {
  readonly id: string;
  readonly botId: string;
  readonly name: string;
  /** SHA-256 (hex) of the channel key; the key itself is shown once, when the channel is created. */
  readonly keyHash: string;
  /** Browser origins allowed (`*`: any). Empty: browsers are refused; server-to-server calls (no Origin) work. */
  readonly origins: readonly string[];
  /** The channel's user session idle timeout, seconds (absent: the server's Aisera default). */
  readonly idleTimeoutSec?: number;
}

/**
 * Read side of tenancy as the running server sees it. Implementations merge the config file with what
 * the CLI created at run time, so new apps work without a restart.
 */
export interface Directory {
  bot(botId: string): Promise<BotRecord | null>;
  bots(): Promise<readonly BotRecord[]>;
  app(clientId: string): Promise<AppRecord | null>;
  /** An Aisera channel, from the config file or created at run time. */
  channel(channelId: string): Promise<ChannelRecord | null>;
  isUserBlocked(botId: string, userId: string): Promise<boolean>;
  /** A number that changes whenever run-time tenancy (apps, blocks, suspensions) changes. */
  revision(): Promise<number>;
}
