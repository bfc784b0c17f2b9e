/**
 * `npm run nlu:eval [-- <bot dir> [<eval file>]]`: top-1 intent accuracy of a bot definition on a held-out
 * set of phrasings (default: the demo helpdesk, bots/helpdesk/eval/nlu.yaml), per intent and overall, with
 * every miss listed. Exits 1 below the target (90 %). The held-out phrasings must not be examples.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { systemClock } from '../src/core/memory/clock.js';
import { silentLogger } from '../src/core/ports/logger.js';
import { loadBotDefinition } from '../src/dialog/definition/load.js';
import { DialogEngine } from '../src/dialog/engine.js';

export const TARGET = 0.9;

export interface EvalResult {
  readonly perIntent: { intent: string; total: number; correct: number }[];
  readonly total: number;
  readonly correct: number;
  readonly accuracy: number;
  readonly misses: { intent: string; text: string; got: string }[];
}

/** The label of what the engine would do: a flow id, a system intent's name, `(fallback)` or `(ask: a|b)`. */
function label(engine: DialogEngine, text: string): string {
  const u = engine.understand(text);
  if (u.ambiguous) return `(ask: ${u.ambiguous.map((i) => i.replace(/^system:/, '')).join('|')})`;
  if (!u.intent) return '(fallback)';
  return u.intent.replace(/^system:/, '');
}

export function evaluate(botDir: string, evalFile = join(botDir, 'eval', 'nlu.yaml')): EvalResult {
  const engine = new DialogEngine(loadBotDefinition(botDir), { clock: systemClock, log: silentLogger });
  const set = parse(readFileSync(evalFile, 'utf8')) as { intents: Record<string, string[]> };
  const perIntent: EvalResult['perIntent'] = [];
  const misses: EvalResult['misses'] = [];
  for (const [intent, phrases] of Object.entries(set.intents)) {
    let correct = 0;
    for (const text of phrases) {
      const got = label(engine, text);
      if (got === intent) correct++;
      else misses.push({ intent, text, got });
    }
    perIntent.push({ intent, total: phrases.length, correct });
  }
  const total = perIntent.reduce((n, i) => n + i.total, 0);
  const correct = perIntent.reduce((n, i) => n + i.correct, 0);
  return { perIntent, total, correct, accuracy: total ? correct / total : 0, misses };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? 'bots/helpdesk';
  const r = evaluate(dir, process.argv[3]);
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  console.log(`NLU top-1 accuracy of ${dir} on held-out phrasings\n`);
  console.log('| intent | phrasings | correct | accuracy |\n|---|---:|---:|---:|');
  for (const i of r.perIntent) console.log(`| ${i.intent} | ${i.total} | ${i.correct} | ${pct(i.correct / i.total)} |`);
  console.log(`| **all** | ${r.total} | ${r.correct} | **${pct(r.accuracy)}** |\n`);
  if (r.misses.length) console.log(`misses:\n${r.misses.map((m) => `  ${m.intent}: "${m.text}" → ${m.got}`).join('\n')}\n`);
  console.log(`target ${pct(TARGET)}: ${r.accuracy >= TARGET ? 'met' : 'NOT met'}`);
  process.exit(r.accuracy >= TARGET ? 0 : 1);
}
