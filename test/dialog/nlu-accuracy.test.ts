/**
 * Understanding quality of the demo bot: top-1 intent accuracy on held-out phrasings (bots/helpdesk/eval,
 * never used as examples) must be at least 90 % — `npm run nlu:eval` prints the same figures.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { parse } from 'yaml';
import { words } from '../../src/dialog/nlu/text.js';
import { evaluate, TARGET } from '../../scripts/nlu-eval.js';
import { HELPDESK } from './support/chat.js';

test('the held-out phrasings are not examples of the bot', () => {
  const examples = new Set<string>();
  for (const f of readdirSync(join(HELPDESK, 'flows'))) {
    for (const e of (parse(readFileSync(join(HELPDESK, 'flows', f), 'utf8')) as { examples?: string[] }).examples ?? []) examples.add(words(e).join(' '));
  }
  const bot = parse(readFileSync(join(HELPDESK, 'bot.yaml'), 'utf8')) as { system?: Record<string, { examples?: string[] }> };
  for (const s of Object.values(bot.system ?? {})) for (const e of s.examples ?? []) examples.add(words(e).join(' '));
  const heldOut = parse(readFileSync(join(HELPDESK, 'eval', 'nlu.yaml'), 'utf8')) as { intents: Record<string, string[]> };
  const leaked = Object.values(heldOut.intents).flat().filter((p) => examples.has(words(p).join(' ')));
  expect(leaked).toEqual([]);
});

test(`top-1 accuracy on held-out phrasings is at least ${TARGET * 100} %, and no intent is below 60 %`, () => {
  const r = evaluate(HELPDESK);
  expect(r.total).toBeGreaterThanOrEqual(100);
  expect(r.accuracy, `misses:\n${r.misses.map((m) => `  ${m.intent}: "${m.text}" → ${m.got}`).join('\n')}`).toBeGreaterThanOrEqual(TARGET);
  for (const i of r.perIntent) expect(i.correct / i.total, i.intent).toBeGreaterThanOrEqual(0.6);
});
