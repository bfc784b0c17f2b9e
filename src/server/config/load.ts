import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { DEMO_CONFIG, HELPDESK_BOT_DIR } from '../demo.js';
import { ConfigFileSchema, SettingsSchema, settingsTable, type AppConfig, type BotConfig, type ChannelConfig, type ConfigFile, type Settings } from './schema.js';

export interface Config {
  readonly settings: Readonly<Settings>;
  readonly bots: readonly BotConfig[];
  readonly apps: readonly AppConfig[];
  /** Aisera channels of the config file (more are created at run time: `colloquy channel create`). */
  readonly channels: readonly ChannelConfig[];
  /** Path of the config file, or `null` for the built-in demo configuration. */
  readonly file: string | null;
  /** Serve the demo page and the development JWT service. */
  readonly demo: boolean;
  /**
   * Secrets for bot definitions (`{{secrets.NAME}}` in HTTP nodes), from `COLLOQUY_BOT_SECRET_<NAME>`
   * environment variables. Every bot's `definition` above is an absolute path.
   */
  readonly botSecrets: Readonly<Record<string, string>>;
}

const BOT_SECRET_PREFIX = 'COLLOQUY_BOT_SECRET_';

/** Each bot's definition folder, absolute: relative to the config file; the demo's may come from `demoBot`. */
function withDefinitions(bots: readonly BotConfig[], base: string | null, settings: Settings, cwd: string, problems: string[]): BotConfig[] {
  return bots.map((b, i) => {
    const definition =
      base === null
        ? settings.demoBot
          ? resolve(cwd, settings.demoBot)
          : (b.definition ?? HELPDESK_BOT_DIR)
        : b.definition
          ? resolve(base, b.definition)
          : HELPDESK_BOT_DIR;
    if (!existsSync(join(definition, 'bot.yaml'))) {
      problems.push(`${base === null && settings.demoBot ? 'COLLOQUY_DEMO_BOT' : `bots/${i}/definition`}: ${definition} is not a bot definition folder (it has no bot.yaml)`);
    }
    return { ...b, definition };
  });
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export interface ConfigSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Command-line overrides (e.g. `--port`), already typed. */
  readonly flags?: Partial<Settings> & { readonly config?: string };
  readonly cwd?: string;
}

const ajv = new Ajv({ allErrors: true, useDefaults: false, strict: false });
const validateFile = ajv.compile(ConfigFileSchema);
const validateSettings = ajv.compile(SettingsSchema);
const describe = (errors: ErrorObject[] | null | undefined, where: string): string[] =>
  (errors ?? []).map((e) => {
    const p = e.params as Record<string, unknown>;
    const detail = p['additionalProperty'] !== undefined ? ` ("${String(p['additionalProperty'])}")` : p['allowedValues'] !== undefined ? ` (${String(p['allowedValues'])})` : '';
    return `${where}${e.instancePath || '/'}: ${e.message ?? 'is invalid'}${detail}`;
  });

function fromEnv(env: ConfigSources['env'], problems: string[]): Partial<Settings> {
  const out: Record<string, unknown> = {};
  for (const meta of settingsTable()) {
    const raw = env[meta.env];
    if (raw === undefined || raw === '') continue;
    switch (meta.type) {
      case 'integer':
      case 'number': {
        const n = Number(raw);
        if (!Number.isFinite(n)) problems.push(`${meta.env}: "${raw}" is not a number`);
        else out[meta.key] = n;
        break;
      }
      case 'boolean':
        if (/^(1|true|yes|on)$/i.test(raw)) out[meta.key] = true;
        else if (/^(0|false|no|off)$/i.test(raw)) out[meta.key] = false;
        else problems.push(`${meta.env}: "${raw}" is not true or false`);
        break;
      case 'list':
        out[meta.key] = raw.split(',').map((s) => s.trim()).filter(Boolean);
        break;
      default:
        out[meta.key] = raw;
    }
  }
  return out as Partial<Settings>;
}

function readFile(path: string, problems: string[]): ConfigFile | null {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    problems.push(`${path}: ${(err as Error).message}`);
    return null;
  }
  if (!validateFile(parsed ?? {})) {
    problems.push(...describe(validateFile.errors, path));
    // Keep going with what is usable, so the bots/apps checks report their problems too.
    const p = (parsed ?? {}) as Record<string, unknown>;
    return { bots: Array.isArray(p['bots']) ? p['bots'] : [], apps: Array.isArray(p['apps']) ? p['apps'] : [], channels: Array.isArray(p['channels']) ? p['channels'] : [] } as ConfigFile;
  }
  return (parsed ?? {}) as ConfigFile;
}

function checkTenancy(bots: readonly BotConfig[], apps: readonly AppConfig[], channels: readonly ChannelConfig[], where: string, problems: string[]): void {
  const botIds = new Set<string>();
  for (const b of bots) {
    if (botIds.has(b.id)) problems.push(`${where}: bot ${b.id} is defined twice`);
    botIds.add(b.id);
  }
  const clientIds = new Set<string>();
  for (const a of apps) {
    if (clientIds.has(a.clientId)) problems.push(`${where}: app ${a.clientId} is defined twice`);
    clientIds.add(a.clientId);
    if (!a.clientSecret && !a.publicKey) problems.push(`${where}: app ${a.clientId} needs a clientSecret or a publicKey`);
    for (const alg of Array.isArray(a.algorithms) ? a.algorithms : []) {
      if (alg.startsWith('HS') && !a.clientSecret) problems.push(`${where}: app ${a.clientId} allows ${alg} but has no clientSecret`);
      if (alg.startsWith('RS') && !a.publicKey) problems.push(`${where}: app ${a.clientId} allows ${alg} but has no publicKey`);
    }
    for (const id of Array.isArray(a.bots) ? a.bots : []) if (!botIds.has(id)) problems.push(`${where}: app ${a.clientId} refers to unknown bot ${id}`);
  }
  const channelIds = new Set<string>();
  for (const c of channels) {
    if (channelIds.has(c.id)) problems.push(`${where}: channel ${c.id} is defined twice`);
    channelIds.add(c.id);
    if (!botIds.has(c.bot)) problems.push(`${where}: channel ${c.id} refers to unknown bot ${c.bot}`);
  }
}

const deepFreeze = <T>(o: T): T => {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
};

/** Build, validate and freeze the configuration. Throws {@link ConfigError} listing every problem. */
export function loadConfig(sources: ConfigSources): Config {
  const cwd = sources.cwd ?? process.cwd();
  const problems: string[] = [];
  const explicit = sources.flags?.config ?? sources.env['COLLOQUY_CONFIG'];
  const candidate = resolve(cwd, 'colloquy.yaml');
  const path = explicit ? resolve(cwd, explicit) : existsSync(candidate) ? candidate : null;
  if (explicit && !existsSync(path!)) problems.push(`config file ${path} does not exist`);
  const file = path && existsSync(path) ? readFile(path, problems) : path ? null : DEMO_CONFIG;

  const defaults = Object.fromEntries(settingsTable().map((m) => [m.key, structuredClone(m.default)]));
  const { config: _configPath, ...flagSettings } = sources.flags ?? {};
  const settings = { ...defaults, ...(file?.settings ?? {}), ...fromEnv(sources.env, problems), ...flagSettings } as Settings;
  if (!validateSettings(settings)) problems.push(...describe(validateSettings.errors, 'settings'));
  if (settings.secret && settings.secret.length < 32) problems.push('settings/secret: must be at least 32 characters');
  if (settings.knowledgeLlmUrl && !/^https?:\/\//.test(settings.knowledgeLlmUrl)) problems.push('settings/knowledgeLlmUrl: must be an http(s) URL');
  if (settings.knowledgeLlmUrl && !settings.knowledgeLlmModel) problems.push('settings/knowledgeLlmModel: is required with knowledgeLlmUrl');

  const apps = file?.apps ?? [];
  const channels = file?.channels ?? [];
  checkTenancy(file?.bots ?? [], apps, channels, path ?? 'built-in demo configuration', problems);
  const bots = withDefinitions(file?.bots ?? [], path === null ? null : dirname(path), settings, cwd, problems);
  const botSecrets = Object.fromEntries(
    Object.entries(sources.env)
      .filter(([k, v]) => k.startsWith(BOT_SECRET_PREFIX) && k.length > BOT_SECRET_PREFIX.length && v !== undefined)
      .map(([k, v]) => [k.slice(BOT_SECRET_PREFIX.length), v!]),
  );
  if (problems.length > 0) throw new ConfigError(problems);

  return deepFreeze({
    settings: { ...settings, dataDir: resolve(cwd, settings.dataDir) },
    bots,
    apps,
    channels,
    file: path,
    demo: settings.demo === 'on' || (settings.demo === 'auto' && path === null),
    botSecrets,
  });
}
