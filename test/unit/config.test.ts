/**
 * Configuration (src/server/config/load.ts): one schema, defaults < file `settings:` < environment <
 * flags, every problem reported at once, and a frozen result.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ConfigError, loadConfig, type Config, type ConfigSources } from '../../src/server/config/load.js';
import { settingsTable } from '../../src/server/config/schema.js';
import { DEMO_BOT_ID, DEMO_CLIENT_ID } from '../../src/server/demo.js';
import { tempDir } from '../conformance/implementations.js';

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});
/** An empty working directory, optionally with files in it. */
const cwdWith = (files: Record<string, string> = {}): string => {
  const dir = tempDir('colloquy-config-');
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir.path, name), text);
  return dir.path;
};
const load = (sources: Partial<ConfigSources> = {}): Config => loadConfig({ env: {}, cwd: cwdWith(), ...sources });
const problemsOf = (sources: Partial<ConfigSources>): readonly string[] => {
  try {
    load(sources);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('the configuration was accepted');
};

const BOTS_YAML = `
bots:
  - id: st-aaaa-1111
    name: Support
apps:
  - clientId: cs-web
    clientSecret: a-long-enough-client-secret
    bots: [st-aaaa-1111]
`;

describe('defaults', () => {
  test('with no file, no env and no flags: the schema defaults and the built-in demo', () => {
    const cwd = cwdWith();
    const c = loadConfig({ env: {}, cwd });
    expect(c.file).toBeNull();
    expect(c.demo).toBe(true);
    expect(c.settings).toMatchObject({ port: 3000, host: '127.0.0.1', store: 'sqlite', bus: 'memory', sqliteSynchronous: 'full', logLevel: 'info', ticketTtlSec: 30, sessionIdleTimeoutSec: 900 });
    expect(c.settings.dataDir).toBe(join(cwd, 'data'));
    expect(c.bots.map((b) => b.id)).toEqual([DEMO_BOT_ID]);
    expect(c.apps.map((a) => a.clientId)).toEqual([DEMO_CLIENT_ID]);
    expect(c.settings.corsOrigins).toEqual(['*']); // the demo configuration's own setting
  });

  test('every setting has a default, an env name and a description', () => {
    for (const s of settingsTable()) {
      expect(s.default, s.key).not.toBeUndefined();
      expect(s.env, s.key).toMatch(/^COLLOQUY_[A-Z0-9_]+$/);
      expect(s.description.length, s.key).toBeGreaterThan(10);
    }
    expect(new Set(settingsTable().map((s) => s.env)).size).toBe(settingsTable().length);
  });

  test('with a config file the demo is off and its tenancy is used', () => {
    const c = loadConfig({ env: {}, cwd: cwdWith({ 'colloquy.yaml': BOTS_YAML }) });
    expect(c.file).toMatch(/colloquy\.yaml$/);
    expect(c.demo).toBe(false);
    expect(c.bots.map((b) => b.id)).toEqual(['st-aaaa-1111']);
    expect(c.settings.corsOrigins).toEqual([]);
  });

  test('the file can be named by COLLOQUY_CONFIG or --config, relative to cwd', () => {
    const cwd = cwdWith({ 'other.yaml': BOTS_YAML });
    expect(loadConfig({ env: { COLLOQUY_CONFIG: 'other.yaml' }, cwd }).file).toBe(join(cwd, 'other.yaml'));
    expect(loadConfig({ env: {}, flags: { config: 'other.yaml' }, cwd }).file).toBe(join(cwd, 'other.yaml'));
  });
});

describe('environment', () => {
  test('numbers, booleans, enums and comma lists are parsed', () => {
    const c = load({
      env: {
        COLLOQUY_PORT: '8080',
        COLLOQUY_RATE_LIMIT_PER_SEC: '2.5',
        COLLOQUY_TRUST_PROXY: 'yes',
        COLLOQUY_SQLITE_SYNCHRONOUS: 'normal',
        COLLOQUY_CORS_ORIGINS: 'https://a.example, https://b.example,,',
        COLLOQUY_HOST: '0.0.0.0',
      },
    });
    expect(c.settings).toMatchObject({ port: 8080, rateLimitPerSec: 2.5, trustProxy: true, sqliteSynchronous: 'normal', host: '0.0.0.0' });
    expect(c.settings.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
  });

  test.each([
    ['1', true],
    ['true', true],
    ['ON', true],
    ['0', false],
    ['False', false],
    ['off', false],
    ['no', false],
  ])('boolean %s → %s', (raw, value) => {
    expect(load({ env: { COLLOQUY_TRUST_PROXY: raw } }).settings.trustProxy).toBe(value);
  });

  test('empty variables are ignored', () => {
    expect(load({ env: { COLLOQUY_PORT: '' } }).settings.port).toBe(3000);
  });

  test('unparseable values are problems', () => {
    const problems = problemsOf({ env: { COLLOQUY_PORT: 'eighty', COLLOQUY_TRUST_PROXY: 'maybe' } });
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/COLLOQUY_PORT.*eighty/), expect.stringMatching(/COLLOQUY_TRUST_PROXY.*maybe/)]));
  });

  test('values outside the schema are problems (port range, enums, integers)', () => {
    const problems = problemsOf({ env: { COLLOQUY_PORT: '70000', COLLOQUY_SQLITE_SYNCHRONOUS: 'off', COLLOQUY_TICKET_TTL: '1.5' } });
    expect(problems.join('\n')).toMatch(/port/);
    expect(problems.join('\n')).toMatch(/sqliteSynchronous/);
    expect(problems.join('\n')).toMatch(/ticketTtlSec/);
  });
});

describe('precedence: default < file settings < environment < flags', () => {
  const file = `settings:\n  port: 4000\n${BOTS_YAML}`;
  test.each([
    ['default', false, false, false, 3000],
    ['file', true, false, false, 4000],
    ['env over file', true, true, false, 5000],
    ['flag over env', true, true, true, 6000],
    ['flag over default', false, false, true, 6000],
    ['env over default', false, true, false, 5000],
  ])('%s', (_name, withFile, withEnv, withFlag, port) => {
    const cwd = cwdWith(withFile ? { 'colloquy.yaml': file } : { 'colloquy.yaml': BOTS_YAML });
    const c = loadConfig({ env: withEnv ? { COLLOQUY_PORT: '5000' } : {}, flags: withFlag ? { port: 6000 } : {}, cwd });
    expect(c.settings.port).toBe(port);
  });
});

describe('problems', () => {
  test('a setting of the wrong type in the file', () => {
    expect(problemsOf({ cwd: cwdWith({ 'colloquy.yaml': 'settings:\n  port: "abc"\n' }) }).join('\n')).toMatch(/port/);
  });

  test('unknown keys in the file, at the top and under settings, are problems', () => {
    expect(problemsOf({ cwd: cwdWith({ 'colloquy.yaml': 'setings:\n  port: 1\n' }) })).toHaveLength(1);
    expect(problemsOf({ cwd: cwdWith({ 'colloquy.yaml': 'settings:\n  prot: 1\n' }) })).toEqual([expect.stringMatching(/settings/)]);
    expect(problemsOf({ cwd: cwdWith({ 'colloquy.yaml': `${BOTS_YAML}\n    colour: red\n` }) })).toHaveLength(1);
  });

  test('an unknown key is named in its problem, so the reader knows what to fix', () => {
    const problems = problemsOf({ cwd: cwdWith({ 'colloquy.yaml': 'settings:\n  prot: 1\nbotz: []\n' }) });
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/\bprot\b/), expect.stringMatching(/\bbotz\b/)]));
  });

  test('an app referring to an unknown bot', () => {
    const yaml = BOTS_YAML.replace('bots: [st-aaaa-1111]', 'bots: [st-aaaa-1111, st-missing]');
    expect(problemsOf({ cwd: cwdWith({ 'colloquy.yaml': yaml }) })).toEqual([expect.stringMatching(/cs-web refers to unknown bot st-missing/)]);
  });

  test('an HS algorithm without a client secret, an RS one without a public key', () => {
    const yaml = `bots:\n  - { id: st-b, name: B }\napps:\n  - { clientId: cs-rs, publicKey: "PEM", algorithms: [HS256], bots: [st-b] }\n  - { clientId: cs-hs, clientSecret: a-long-enough-client-secret, algorithms: [RS512], bots: [st-b] }\n`;
    const problems = problemsOf({ cwd: cwdWith({ 'colloquy.yaml': yaml }) });
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/cs-rs allows HS256 but has no clientSecret/), expect.stringMatching(/cs-hs allows RS512 but has no publicKey/)]));
  });

  test('duplicates and an app with no key at all', () => {
    const yaml = `bots:\n  - { id: st-b, name: B }\n  - { id: st-b, name: B2 }\napps:\n  - { clientId: cs-1, bots: [st-b] }\n`;
    const problems = problemsOf({ cwd: cwdWith({ 'colloquy.yaml': yaml }) }).join('\n');
    expect(problems).toMatch(/st-b is defined twice/);
    expect(problems).toMatch(/cs-1 needs a clientSecret or a publicKey/);
  });

  test('a named file that does not exist, YAML that does not parse, a short secret', () => {
    expect(problemsOf({ env: { COLLOQUY_CONFIG: 'missing.yaml' } }).join('\n')).toMatch(/does not exist/);
    expect(problemsOf({ cwd: cwdWith({ 'colloquy.yaml': 'bots: [\n' }) })).toHaveLength(1);
    expect(problemsOf({ env: { COLLOQUY_SECRET: 'short' } })).toEqual(['settings/secret: must be at least 32 characters']);
  });

  test('every problem of every source is listed in one ConfigError', () => {
    const yaml = `
settings:
  port: "abc"
  prot: 1
bots:
  - { id: st-b, name: B }
apps:
  - { clientId: cs-1, publicKey: "PEM", algorithms: [HS256], bots: [st-b, st-missing] }
`;
    const problems = problemsOf({ env: { COLLOQUY_TRUST_PROXY: 'maybe', COLLOQUY_SECRET: 'short' }, cwd: cwdWith({ 'colloquy.yaml': yaml }) });
    const all = problems.join('\n');
    expect(all).toMatch(/COLLOQUY_TRUST_PROXY/);
    expect(all).toMatch(/secret/);
    expect(all).toMatch(/port/);
    expect(all).toMatch(/additional|prot/);
    expect(all).toMatch(/cs-1 allows HS256 but has no clientSecret/);
    expect(all).toMatch(/cs-1 refers to unknown bot st-missing/);
  });

  test('the error message lists the problems, one a line', () => {
    const err = (() => {
      try {
        load({ env: { COLLOQUY_PORT: 'x', COLLOQUY_TRUST_PROXY: 'y' } });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('accepted');
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(err.problems.length);
  });
});

describe('the result', () => {
  test('is deeply frozen', () => {
    const c = load({ env: { COLLOQUY_CORS_ORIGINS: 'https://a.example' } });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.settings)).toBe(true);
    expect(Object.isFrozen(c.settings.corsOrigins)).toBe(true);
    expect(Object.isFrozen(c.bots[0])).toBe(true);
    expect(() => {
      (c.settings as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => (c.settings.corsOrigins as string[]).push('x')).toThrow(TypeError);
  });

  test('loading again gives the same result; a demo load does not leak into a file load', () => {
    const a = load({ env: { COLLOQUY_PORT: '4100' } });
    const b = load({ env: { COLLOQUY_PORT: '4100' } });
    expect({ ...b, settings: { ...b.settings, dataDir: '' } }).toEqual({ ...a, settings: { ...a.settings, dataDir: '' } });
    const plain = load({ cwd: cwdWith({ 'colloquy.yaml': BOTS_YAML }) });
    expect(plain.settings.corsOrigins).toEqual([]);
    expect(plain.settings.port).toBe(3000);
  });

  test('demo can be forced on or off', () => {
    expect(load({ env: { COLLOQUY_DEMO: 'off' } }).demo).toBe(false);
    expect(loadConfig({ env: { COLLOQUY_DEMO: 'on' }, cwd: cwdWith({ 'colloquy.yaml': BOTS_YAML }) }).demo).toBe(true);
  });
});
