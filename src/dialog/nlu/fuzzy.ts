/**
 * Typo tolerance: a word the bot never saw is corrected to the closest known word within a small edit
 * distance (optimal string alignment: insert, delete, substitute, swap two neighbours — the usual typos).
 * Candidates come from a deletion index (SymSpell's idea), so a lookup is a few map reads, not a scan.
 */

/** OSA distance of `a` and `b`, or `max + 1` as soon as it must exceed `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = b.length;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n]!;
}

/** Edits allowed for a word of this length: none for short words (too many false friends). */
export const allowedEdits = (length: number): number => (length < 4 ? 0 : length < 8 ? 1 : 2);

function deletes(word: string, depth: number, out: Set<string>): void {
  if (depth === 0 || word.length <= 1) return;
  for (let i = 0; i < word.length; i++) {
    const d = word.slice(0, i) + word.slice(i + 1);
    if (!out.has(d)) {
      out.add(d);
      deletes(d, depth - 1, out);
    }
  }
}

export class Vocabulary {
  private readonly known = new Map<string, number>();
  private readonly index = new Map<string, string[]>();

  /** `words` with how often each occurs (ties between corrections go to the more frequent word). */
  constructor(counts: ReadonlyMap<string, number>) {
    for (const [w, c] of counts) {
      this.known.set(w, c);
      const keys = new Set<string>([w]);
      deletes(w, allowedEdits(w.length), keys);
      for (const k of keys) {
        const list = this.index.get(k);
        if (list) list.push(w);
        else this.index.set(k, [w]);
      }
    }
  }

  has(word: string): boolean {
    return this.known.has(word);
  }

  /** The known word closest to `word`, or undefined when none is close enough (or `word` is known). */
  correct(word: string): string | undefined {
    if (this.known.has(word) || /\d/.test(word)) return undefined;
    const max = allowedEdits(word.length);
    if (max === 0) return undefined;
    const keys = new Set<string>([word]);
    deletes(word, max, keys);
    let best: string | undefined;
    let bestD = max + 1;
    let bestC = -1;
    for (const k of keys) {
      for (const cand of this.index.get(k) ?? []) {
        // Typos rarely touch the first letter (but may swap the first two).
        if (allowedEdits(cand.length) === 0 || (cand[0] !== word[0] && !(cand[0] === word[1] && cand[1] === word[0]))) continue;
        // A four-letter word is corrected only by a missing, extra or swapped letter ("helo", "tset"), not a
        // replaced one: too many real words are one letter apart ("shop", "stop").
        if (word.length === 4 && cand.length === 4 && [...word].sort().join('') !== [...cand].sort().join('')) continue;
        const d = editDistance(word, cand, Math.min(max, allowedEdits(cand.length)));
        // Equally close: a word with the same ending (typos are rarely in the last letter), then the commoner.
        const c = this.known.get(cand)! + (cand.at(-1) === word.at(-1) ? 1e6 : 0);
        if (d < bestD || (d === bestD && (c > bestC || (c === bestC && best !== undefined && cand < best)))) {
          best = cand;
          bestD = d;
          bestC = c;
        }
      }
    }
    return bestD <= max ? best : undefined;
  }
}
