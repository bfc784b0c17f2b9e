import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { citationsOf } from '../knowledge/answer.js';
import { loadIndex } from '../knowledge/folder.js';
import { KnowledgeBase } from '../knowledge/knowledge-base.js';
import type { Config } from './config/load.js';
import { knowledgeCache, knowledgeFolder } from './knowledge.js';

const BUNDLED_BOTS = fileURLToPath(new URL('../../bots', import.meta.url));

/** The definition folder `--bot` names: a configured bot id, a folder, or a bundled bot's name; default the first bot. */
export function definitionOf(config: Config, bot: string | undefined): string {
  if (bot === undefined) {
    const first = config.bots[0]?.definition;
    if (!first) throw new Error('no bot is configured; name one with --bot');
    return first;
  }
  const configured = config.bots.find((b) => b.id === bot)?.definition;
  if (configured) return configured;
  for (const dir of [resolve(bot), join(BUNDLED_BOTS, bot)]) if (existsSync(join(dir, 'bot.yaml'))) return dir;
  throw new Error(`no bot ${bot}: give a configured bot id, a bot definition folder or a bundled bot's name`);
}

/** `colloquy kb ingest`: index the bot's knowledge folder now and persist the index where the server loads it. */
export function kbIngest(config: Config, bot: string | undefined, json: boolean): void {
  const folder = knowledgeFolder(definitionOf(config, bot));
  if (!existsSync(folder)) throw new Error(`${folder} does not exist: a bot's knowledge is Markdown, HTML and text files in its knowledge/ folder`);
  const started = performance.now();
  const r = loadIndex(folder, knowledgeCache(config.settings.dataDir), true);
  const ms = Math.round(performance.now() - started);
  const out = { folder, documents: r.documents, passages: r.passages, hash: r.hash, index: r.file, ms };
  console.log(json ? JSON.stringify(out, null, 2) : `${folder}: ${r.documents} documents, ${r.passages} passages indexed in ${ms} ms → ${r.file}`);
}

/** `colloquy kb search "<question>"`: the best passages and the citations an answer would carry. */
export function kbSearch(config: Config, bot: string | undefined, question: string, json: boolean): void {
  const folder = knowledgeFolder(definitionOf(config, bot));
  if (!existsSync(folder)) throw new Error(`${folder} does not exist`);
  const kb = new KnowledgeBase(loadIndex(folder, knowledgeCache(config.settings.dataDir)).index);
  const hits = kb.search(question, 5);
  const answers = kb.relevant(question).length > 0;
  if (json) {
    console.log(JSON.stringify({ question, answers, hits: hits.map((h) => ({ id: h.passage.id, score: h.score, coverage: h.coverage, heading: h.passage.heading, url: h.passage.url })), citations: citationsOf(hits) }, null, 2));
    return;
  }
  if (hits.length === 0) return void console.log('(nothing found)');
  hits.forEach((h, i) => console.log(`${i + 1}. ${h.passage.docTitle} — ${h.passage.heading}  (score ${h.score.toFixed(1)}, covers ${Math.round(h.coverage * 100)}%)\n   ${h.passage.url}\n   ${h.passage.text.replace(/\s+/g, ' ').slice(0, 140)}…`));
  console.log(answers ? '\nThe bot answers this from the knowledge base.' : '\nThe bot does not answer this from the knowledge base (too little of the question matches).');
}
