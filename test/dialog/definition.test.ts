/**
 * Bot definitions are checked against the schema and for cross-references, with every problem named by
 * file, line and column; `colloquy validate` prints them; the server does not start on an invalid bot.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkBotDefinition } from '../../src/dialog/definition/load.js';
import { formatProblem } from '../../src/dialog/definition/source.js';
import { ConfigError } from '../../src/server/config/load.js';
import { HELPDESK_BOT_DIR } from '../../src/server/demo.js';
import { cli, ensureBuilt } from '../protocol/processes.js';
import { startTestServer } from '../support/server.js';
import { fixture } from './support/chat.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A bot folder made of `files` (path → YAML text). */
function bot(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'colloquy-bot-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const problems = (dir: string) => checkBotDefinition(dir).problems.map((p) => `${relative(dir, p.file.startsWith('/') ? p.file : join(process.cwd(), p.file))}:${p.line}:${p.col}: ${p.message}`);

const GOOD_FLOW = 'examples: [hi]\nnodes:\n  - type: message\n    text: Hello\n';

describe('checks, each with its place', () => {
  test('the bundled bots and fixtures are valid', () => {
    for (const dir of [HELPDESK_BOT_DIR, fixture('showcase'), new URL('../fixtures/bots/echo', import.meta.url).pathname]) {
      const r = checkBotDefinition(dir);
      expect(r.problems.map(formatProblem)).toEqual([]);
      expect(r.bot?.stats.flows).toBeGreaterThan(0);
    }
  });

  test('bot.yaml: missing and unknown keys, wrong types, flows that do not exist', () => {
    const dir = bot({
      'bot.yaml': 'description: no name\nretries: many\ncolour: blue\nwelcome: nowhere\nsystem:\n  help: { flow: missing }\n',
      'flows/a.yaml': GOOD_FLOW,
    });
    expect(problems(dir)).toEqual([
      'bot.yaml:1:1: (top level): missing "name"',
      'bot.yaml:3:1: (top level): unknown key "colour"',
      'bot.yaml:2:10: retries: must be integer',
    ]);
    const dir2 = bot({ 'bot.yaml': 'name: B\nwelcome: nowhere\nsystem:\n  help: { flow: missing }\n', 'flows/a.yaml': GOOD_FLOW });
    expect(problems(dir2)).toEqual(['bot.yaml:4:17: no flow "missing"', 'bot.yaml:2:10: no flow "nowhere"']);
  });

  test('YAML syntax errors point at the line', () => {
    const dir = bot({ 'bot.yaml': 'name: B\n', 'flows/a.yaml': 'nodes:\n  - type: message\n    text: "unclosed\n' });
    const p = problems(dir);
    expect(p).toHaveLength(1);
    // The string opened on line 3 runs to the end of the file, where the parser notices.
    expect(p[0]).toMatch(/^flows\/a\.yaml:[34]:\d+: Missing closing "quote/);
  });

  test('nodes: an unknown type, a key of another node type, a missing node, an unknown entity', () => {
    const dir = bot({
      'bot.yaml': 'name: B\n',
      'flows/a.yaml': [
        'examples: [start]',
        'nodes:',
        '  - type: mesage',
        '    text: typo',
        '  - type: message',
        '    text: Hi',
        '    entity: email',
        '  - id: ask',
        '    type: prompt',
        '    text: Which?',
        '    entity: colour',
        '    save: c',
        '    next: nowhere',
        '',
      ].join('\n'),
    });
    expect(problems(dir)).toEqual([
      'flows/a.yaml:3:5: nodes.0.type: must be one of message, prompt, confirm, form, condition, set, http, handoff, flow, end',
      'flows/a.yaml:7:5: nodes.1: unknown key "entity"',
    ]);
    const dir2 = bot({
      'bot.yaml': 'name: B\n',
      'flows/a.yaml': 'examples: [start]\nnodes:\n  - id: ask\n    type: prompt\n    text: Which?\n    entity: colour\n    save: c\n    next: nowhere\n',
    });
    expect(problems(dir2)).toEqual([
      'flows/a.yaml:8:11: no node "nowhere" in flow "a"',
      'flows/a.yaml:6:13: unknown entity "colour" (built in: text, number, date, email, phone, yesno, choice, regex; or define it in entities.yaml)',
    ]);
  });

  test('forms, patterns, templates and secrets', () => {
    const dir = bot({
      'bot.yaml': 'name: B\nsecrets: [TOKEN]\n',
      'flows/a.yaml': [
        'examples: [start]',
        'nodes:',
        '  - type: form',
        '    fields:',
        '      - { name: model, label: Model, type: dropdown }',
        '      - { name: when, label: When, type: date, min: soon }',
        '      - { name: model, label: Again, type: text, options: [a] }',
        '  - type: prompt',
        '    text: Code?',
        '    entity: regex',
        '    pattern: "[unclosed"',
        '    save: code',
        '  - type: message',
        '    text: "Your key is {{secrets.TOKEN}} and {{ broken"',
        '  - type: http',
        '    url: "https://example.com/{{secrets.OTHER}}"',
        '',
      ].join('\n'),
    });
    expect(problems(dir)).toEqual([
      'flows/a.yaml:5:9: model: a dropdown field needs "options"',
      'flows/a.yaml:6:53: when: min of a date must be "today", "today+N", "today-N" or YYYY-MM-DD',
      'flows/a.yaml:7:17: field "model" is defined twice',
      'flows/a.yaml:7:59: model: "options" belongs to dropdown, radio and checkboxes fields',
      'flows/a.yaml:11:14: invalid regular expression: Invalid regular expression: /[unclosed/i: Unterminated character class',
      'flows/a.yaml:14:11: unbalanced "{{" or "}}"',
      'flows/a.yaml:14:11: secrets may only be used in http nodes (never in what the user sees)',
      'flows/a.yaml:16:10: secret "OTHER" is not declared in bot.yaml "secrets"',
    ]);
  });

  test('flow ids and examples are unique across files', () => {
    const dir = bot({
      'bot.yaml': 'name: B\n',
      'flows/a.yaml': 'examples: [hello there]\nnodes:\n  - type: message\n    text: A\n',
      'flows/b.yaml': 'id: a\nexamples: [Hello, there!]\nnodes:\n  - type: message\n    text: B\n',
      'flows/c.yaml': 'examples: ["hello there"]\nnodes:\n  - type: message\n    text: C\n',
    });
    expect(problems(dir)).toEqual(['flows/b.yaml:1:5: flow "a" is also defined in ' + join(dir, 'flows/a.yaml').replace(`${process.cwd()}/`, ''), 'flows/c.yaml:1:12: "hello there" is also an example of flow "a"']);
  });

  test('not a bot folder', () => {
    const dir = bot({ 'flows/a.yaml': GOOD_FLOW });
    expect(checkBotDefinition(dir).problems.map((p) => p.message)).toEqual(['not a bot definition: bot.yaml is missing']);
  });
});

describe('refusing an invalid bot', () => {
  let invalid: string;
  beforeAll(() => {
    invalid = bot({ 'bot.yaml': 'name: Broken\nfallback: nowhere\n', 'flows/a.yaml': GOOD_FLOW });
  });

  test('the server does not start, and says where the problems are', async () => {
    const err = await startTestServer({ settings: { demoBot: invalid } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([expect.stringMatching(/^bot st-[^:]+: .*bot\.yaml:2:11: no flow "nowhere"$/)]);
  });

  test('a bot that needs a secret nobody provides does not start either', async () => {
    const needy = bot({ 'bot.yaml': 'name: Needy\nsecrets: [PAYMENTS_KEY]\n', 'flows/a.yaml': GOOD_FLOW });
    const err = await startTestServer({ settings: { demoBot: needy } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as ConfigError).problems).toEqual([expect.stringContaining('set COLLOQUY_BOT_SECRET_PAYMENTS_KEY')]);
    const server = await startTestServer({ settings: { demoBot: needy }, env: { COLLOQUY_BOT_SECRET_PAYMENTS_KEY: 'pk-1' } });
    await server.stop();
  });

  test('colloquy validate prints OK or the problems (exit code 1)', async () => {
    await ensureBuilt();
    const ok = await cli(['validate', HELPDESK_BOT_DIR], tmpdir());
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/: OK \(14 flows, 8 intents, \d+ examples, \d+ nodes\)/);
    const bad = await cli(['validate', invalid], tmpdir());
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/1 problem\(s\)\n {2}.*bot\.yaml:2:11: no flow "nowhere"/);
    const json = await cli(['validate', invalid, '--json'], tmpdir());
    expect(JSON.parse(json.stdout)).toEqual([{ dir: expect.any(String), ok: false, problems: [expect.objectContaining({ line: 2, col: 11, message: 'no flow "nowhere"' })] }]);
  });
});
