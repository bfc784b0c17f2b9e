/**
 * Retrieval quality of the demo knowledge base: recall@3 over the held-out questions in
 * test/knowledge/questions.yaml (`npm run kb:eval`). Exits 1 below the target.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { passagesOfFolder } from '../src/knowledge/folder.js';
import { SearchIndex } from '../src/knowledge/search-index.js';

export interface Question {
  readonly q: string;
  readonly doc: string;
}

export const KB_FOLDER = 'bots/helpdesk/knowledge';
export const QUESTIONS = 'test/knowledge/questions.yaml';
export const TARGET = 0.9;

/** recall@k and the questions missed. */
export function evaluate(folder = KB_FOLDER, file = QUESTIONS, k = 3): { recall: number; total: number; missed: { q: string; doc: string; got: string[] }[] } {
  const index = SearchIndex.build(passagesOfFolder(folder));
  const questions = parse(readFileSync(file, 'utf8')) as Question[];
  const missed: { q: string; doc: string; got: string[] }[] = [];
  for (const { q, doc } of questions) {
    const got = index.search(q, k).map((h) => h.passage.file);
    if (!got.includes(doc)) missed.push({ q, doc, got });
  }
  return { recall: (questions.length - missed.length) / questions.length, total: questions.length, missed };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = evaluate();
  for (const m of r.missed) console.log(`missed: "${m.q}" (want ${m.doc}, got ${m.got.join(', ') || 'nothing'})`);
  console.log(`recall@3 = ${r.recall.toFixed(3)} over ${r.total} questions (target >= ${TARGET})`);
  process.exit(r.recall >= TARGET ? 0 : 1);
}
