import MiniSearch from 'minisearch';
import { stemmer } from 'stemmer';
import type { Passage } from './documents.js';

/**
 * The full-text index of a knowledge base: MiniSearch (BM25 ranking, prefix and fuzzy matching, a JSON form to
 * persist) over passages, with English stemming and stop words. A hit says how much of the question it covers,
 * so the caller can tell "about this" from "shares a word with it".
 */

export interface Hit {
  readonly passage: Passage;
  readonly score: number;
  /** Share of the question's content terms the passage matched, 0–1. */
  readonly coverage: number;
}

const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a an the i me my we us our you your it its this that these those to of for in on at by from with about into is am are ' +
    'was were be been being and or but so if then than there here do does did doing have has had can could would will shall ' +
    'should may might must please what how which who whom when where why get got need want like any some all also just not no ' +
    'yes ok hi hello thanks thank'
  ).split(' '),
);

/** Lower case, accents folded, stop words dropped, stemmed; `null` drops the term. */
export function termOf(term: string): string | null {
  const t = term.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  if (t.length < 2 || STOPWORDS.has(t)) return null;
  return /^\d/.test(t) ? t : stemmer(t);
}

/** Words; a hyphenated word also counts joined (`Wi-Fi` is `wi`, `fi` and `wifi`). */
const tokenize = (text: string): string[] => [
  ...text.split(/[^\p{L}\p{N}]+/u).filter((w) => w !== ''),
  ...[...text.matchAll(/[\p{L}\p{N}]+(?:-[\p{L}\p{N}]+)+/gu)].map((m) => m[0].replace(/-/g, '')),
];

/** The content terms of a question, as the index sees them. */
export const termsOf = (text: string): string[] => [...new Set(tokenize(text).flatMap((w) => termOf(w) ?? []))];

const OPTIONS = {
  fields: ['docTitle', 'heading', 'text'],
  storeFields: ['file', 'docTitle', 'heading', 'text', 'url'],
  tokenize,
  processTerm: termOf,
  searchOptions: { boost: { docTitle: 1.5, heading: 2 }, prefix: (t: string) => t.length >= 5, fuzzy: (t: string) => (t.length >= 6 ? 0.15 : 0) },
};

export class SearchIndex {
  private constructor(private readonly index: MiniSearch<Passage>) {}

  static build(passages: readonly Passage[]): SearchIndex {
    const index = new MiniSearch<Passage>(OPTIONS);
    index.addAll(passages);
    return new SearchIndex(index);
  }

  /** An index persisted with {@link toJSON}. */
  static load(json: string): SearchIndex {
    return new SearchIndex(MiniSearch.loadJSON<Passage>(json, OPTIONS));
  }

  toJSON(): string {
    return JSON.stringify(this.index);
  }

  get size(): number {
    return this.index.documentCount;
  }

  /** The best passages for a question, best first. */
  search(question: string, limit: number): Hit[] {
    const wanted = termsOf(question);
    if (wanted.length === 0) return [];
    return this.index.search(question).slice(0, limit).map((r) => {
      const matched = new Set(r.queryTerms);
      const coverage = wanted.filter((t) => matched.has(t)).length / wanted.length;
      const passage: Passage = { id: String(r.id), file: r['file'] as string, docTitle: r['docTitle'] as string, heading: r['heading'] as string, text: r['text'] as string, url: r['url'] as string };
      return { passage, score: r.score, coverage };
    });
  }
}
