import { Vocabulary } from './fuzzy.js';
import { STOPWORDS, stem, Synonyms, words } from './text.js';

/**
 * Intent matching from example phrases, offline and deterministic. An utterance and every example become
 * weighted bags of stems and stem bigrams (sub-linear term frequency, BM25's inverse document frequency
 * over intents); an intent's score, in [0, 1], blends the best cosine similarity with one of its examples
 * and the similarity with all its examples together.
 * Unknown words are first corrected to a known word within a small edit distance (typos); words still
 * unknown count against the match, so an utterance about something else scores low.
 */

export interface IntentScore {
  readonly intent: string;
  readonly score: number;
}

/** How an utterance was read: its words after synonyms and typo correction (entities read these too). */
export interface Analysis {
  readonly words: readonly string[];
  readonly terms: ReadonlyMap<string, number>;
}

const BIGRAM_WEIGHT = 0.6;
/** An unknown word weighs this share of the rarest known term's idf. */
const UNKNOWN_WEIGHT = 0.4;
/**
 * An intent's score blends its best single example with its centroid (all its examples together): one rare
 * shared word with a short example should not outweigh an intent whose examples agree on the utterance.
 */
const BEST_EXAMPLE_SHARE = 0.7;

/** A pattern standing for a kind of value (a ticket number): examples and utterances see one token for it. */
export interface Marker {
  readonly name: string;
  readonly re: RegExp;
}

export class IntentClassifier {
  private readonly idf = new Map<string, number>();
  private readonly postings = new Map<string, { doc: number; w: number }[]>();
  private readonly docIntent: string[] = [];
  private readonly docNorm: number[] = [];
  /** Scratch space of `rank`: one dot product per example, all zero between calls. */
  private readonly dots: Float64Array;
  private readonly vocabulary: Vocabulary;
  private readonly maxIdf: number;
  readonly intents: readonly string[];

  private readonly centroids = new Map<string, Map<string, number>>();
  private readonly markers: readonly { token: string; re: RegExp }[];

  constructor(
    examples: ReadonlyMap<string, readonly string[]>,
    private readonly synonyms: Synonyms,
    private readonly fuzzy = true,
    markers: readonly Marker[] = [],
  ) {
    this.markers = markers.map((m) => ({ token: ` zzz${m.name.toLowerCase().replace(/[^a-z0-9]/g, '')} `, re: new RegExp(m.re.source, 'gi') }));
    const docs: { intent: string; terms: Map<string, number> }[] = [];
    const surface = new Map<string, number>();
    for (const [intent, phrases] of examples) {
      for (const p of phrases) {
        const ws = this.synonyms.apply(words(this.mark(p)));
        for (const w of ws) surface.set(w, (surface.get(w) ?? 0) + 1);
        docs.push({ intent, terms: termsOf(ws) });
      }
    }
    this.vocabulary = new Vocabulary(surface);
    this.intents = [...examples.keys()];
    // Document frequency counts intents, not examples: a word is informative when few intents use it,
    // however many examples of one intent repeat it.
    const byIntent = new Map<string, Set<string>>();
    for (const d of docs) {
      const set = byIntent.get(d.intent) ?? new Set<string>();
      for (const t of d.terms.keys()) set.add(t);
      byIntent.set(d.intent, set);
    }
    const df = new Map<string, number>();
    for (const set of byIntent.values()) for (const t of set) df.set(t, (df.get(t) ?? 0) + 1);
    const n = byIntent.size;
    for (const [t, f] of df) this.idf.set(t, Math.log(1 + (n - f + 0.5) / (f + 0.5)));
    this.maxIdf = Math.log(1 + (n + 0.5) / 0.5);
    docs.forEach((d, i) => {
      this.docIntent.push(d.intent);
      let norm = 0;
      for (const [t, tf] of d.terms) {
        const w = this.weight(t, tf);
        norm += w * w;
        const list = this.postings.get(t);
        if (list) list.push({ doc: i, w });
        else this.postings.set(t, [{ doc: i, w }]);
      }
      this.docNorm.push(Math.sqrt(norm) || 1);
    });
    this.dots = new Float64Array(docs.length);
    // Centroids: the sum of an intent's example vectors, each of length 1, then scaled to length 1.
    docs.forEach((d, i) => {
      const c = this.centroids.get(d.intent) ?? new Map<string, number>();
      for (const [t, tf] of d.terms) c.set(t, (c.get(t) ?? 0) + this.weight(t, tf) / this.docNorm[i]!);
      this.centroids.set(d.intent, c);
    });
    for (const c of this.centroids.values()) {
      const norm = Math.sqrt([...c.values()].reduce((n, w) => n + w * w, 0)) || 1;
      for (const [t, w] of c) c.set(t, w / norm);
    }
  }

  /** Values that match a marker pattern become the marker's token. */
  private mark(text: string): string {
    let t = text;
    for (const m of this.markers) t = t.replace(m.re, m.token);
    return t;
  }

  /** An unknown word that is two known words run together ("thankyou", "goodnight"). */
  private split(w: string): string[] | undefined {
    for (let i = 2; i <= w.length - 2; i++) {
      const a = w.slice(0, i);
      const b = w.slice(i);
      if (this.vocabulary.has(a) && this.vocabulary.has(b)) return [a, b];
    }
    return undefined;
  }

  /** Read an utterance: words, synonyms, typo corrections, then its weighted terms. */
  analyse(text: string): Analysis {
    let ws = this.synonyms.apply(words(this.mark(text)));
    if (this.fuzzy) {
      // Typos: words neither known nor small are corrected (or split in two known ones); most utterances
      // have none, and then nothing is copied.
      let fixed: string[] | undefined;
      for (let i = 0; i < ws.length; i++) {
        const w = ws[i]!;
        if (STOPWORDS.has(w) || this.vocabulary.has(w) || w.startsWith('zzz')) {
          fixed?.push(w);
          continue;
        }
        const c = this.vocabulary.correct(w) ?? this.split(w);
        if (c === undefined) {
          fixed?.push(w);
          continue;
        }
        fixed ??= ws.slice(0, i);
        if (typeof c === 'string') fixed.push(c);
        else fixed.push(...c);
      }
      if (fixed) ws = this.synonyms.apply(fixed);
    }
    return { words: ws, terms: termsOf(ws) };
  }

  /** Intents by descending score (only those with a score above 0). */
  rank(analysis: Analysis): IntentScore[] {
    // Only the examples sharing a term with the utterance are visited (`touched`); `dots` is reused and
    // left zeroed for the next call.
    const dots = this.dots;
    const touched: number[] = [];
    let qnorm = 0;
    for (const [t, tf] of analysis.terms) {
      const idf = this.idf.get(t);
      const w = idf === undefined ? UNKNOWN_WEIGHT * this.maxIdf * (t.includes('_') ? BIGRAM_WEIGHT * 0.5 : 1) : this.weight(t, tf);
      qnorm += w * w;
      if (idf === undefined) continue;
      for (const p of this.postings.get(t)!) {
        if (dots[p.doc] === 0) touched.push(p.doc);
        dots[p.doc]! += w * p.w;
      }
    }
    qnorm = Math.sqrt(qnorm);
    const best = new Map<string, number>();
    for (const i of touched) {
      const s = dots[i]! / (qnorm * this.docNorm[i]!);
      dots[i] = 0;
      const intent = this.docIntent[i]!;
      if (s > (best.get(intent) ?? 0)) best.set(intent, s);
    }
    const out: IntentScore[] = [];
    for (const [intent, b] of best) {
      const c = this.centroids.get(intent)!;
      let dot = 0;
      for (const [t, tf] of analysis.terms) {
        const w = c.get(t);
        if (w !== undefined) dot += w * this.weight(t, tf);
      }
      out.push({ intent, score: Math.min(1, BEST_EXAMPLE_SHARE * b + (1 - BEST_EXAMPLE_SHARE) * (dot / qnorm)) });
    }
    return out.sort((a, b) => b.score - a.score || (a.intent < b.intent ? -1 : 1));
  }

  private weight(term: string, tf: number): number {
    return (1 + Math.log(tf)) * (this.idf.get(term) ?? 0) * (term.includes('_') ? BIGRAM_WEIGHT : 1);
  }
}

/** Stems of the content words, plus bigrams of neighbouring content stems. */
function termsOf(ws: readonly string[]): Map<string, number> {
  const content = ws.filter((w) => !STOPWORDS.has(w)).map(stem);
  // An utterance of only small words ("hi", "yes please") keeps them: they are all it has.
  const use = content.length > 0 ? content : ws.map(stem);
  const terms = new Map<string, number>();
  const add = (t: string) => terms.set(t, (terms.get(t) ?? 0) + 1);
  for (let i = 0; i < use.length; i++) {
    add(use[i]!);
    if (i > 0) add(`${use[i - 1]}_${use[i]}`);
  }
  return terms;
}
