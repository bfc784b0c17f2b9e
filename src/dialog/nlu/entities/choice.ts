import { Vocabulary } from '../fuzzy.js';
import { normalise, words } from '../text.js';

/**
 * "Choice from a list": an option is recognised by its payload (a button press), its label, value or a
 * synonym — as the whole answer, inside a sentence, by position ("the second one") or despite a typo.
 */

export interface ChoiceOption {
  readonly value: string;
  readonly label: string;
  readonly synonyms?: readonly string[];
}

const ORDINALS: Record<string, number> = {
  first: 1, '1st': 1, second: 2, '2nd': 2, third: 3, '3rd': 3, fourth: 4, '4th': 4, fifth: 5, '5th': 5,
  sixth: 6, '6th': 6, seventh: 7, '7th': 7, eighth: 8, '8th': 8, ninth: 9, '9th': 9, tenth: 10, '10th': 10, last: -1,
};
const NONE = new Set(['none', 'nothing', 'no', 'neither', 'nope', 'skip', 'no thanks', 'none of them', 'none thanks']);

export class ChoiceMatcher {
  private readonly keys: { option: number; words: string[] }[] = [];
  private readonly vocabulary: Vocabulary;

  constructor(readonly options: readonly ChoiceOption[]) {
    const counts = new Map<string, number>();
    options.forEach((o, i) => {
      for (const k of new Set([o.value, o.label, ...(o.synonyms ?? [])])) {
        const ws = words(k);
        if (ws.length === 0) continue;
        this.keys.push({ option: i, words: ws });
        for (const w of ws) counts.set(w, (counts.get(w) ?? 0) + 1);
      }
    });
    // Longest keys first: "docking station" wins over "station".
    this.keys.sort((a, b) => b.words.length - a.words.length);
    this.vocabulary = new Vocabulary(counts);
  }

  /** One option, or undefined (nothing recognised, or several options equally plausible). */
  one(text: string): ChoiceOption | undefined {
    const exact = this.options.find((o) => o.value === text.trim());
    if (exact) return exact;
    const ws = words(text);
    if (ws.length === 0) return undefined;
    const whole = ws.join(' ');
    const same = new Set(this.keys.filter((k) => k.words.join(' ') === whole).map((k) => k.option));
    if (same.size === 1) return this.options[[...same][0]!];
    const position = this.position(ws);
    if (position !== undefined) return this.options[position];
    const found = this.mentioned(ws);
    if (found.length === 1) return this.options[found[0]!];
    if (found.length > 1) return undefined;
    const fixed = ws.map((w) => this.vocabulary.correct(w) ?? w);
    if (fixed.some((w, i) => w !== ws[i])) {
      const again = this.mentioned(fixed);
      if (again.length === 1) return this.options[again[0]!];
    }
    return undefined;
  }

  /** Several options ("mouse and dock", "1, 3"); `[]` for "none"; undefined when a part is not recognised. */
  many(text: string): ChoiceOption[] | undefined {
    const exact = this.options.find((o) => o.value === text.trim());
    if (exact) return [exact];
    if (NONE.has(normalise(text))) return [];
    const parts = text.split(/,|;|\/|&|\+|\band\b|\bplus\b|\bor\b/i).map((p) => p.trim()).filter((p) => words(p).length > 0);
    const out: ChoiceOption[] = [];
    for (const p of parts) {
      const one = this.one(p);
      if (one) {
        if (!out.includes(one)) out.push(one);
        continue;
      }
      // A part naming several options at once ("mouse keyboard").
      const several = this.mentioned(words(p).map((w) => this.vocabulary.correct(w) ?? w));
      if (several.length === 0) return undefined;
      for (const i of several) if (!out.includes(this.options[i]!)) out.push(this.options[i]!);
    }
    return out.length > 0 ? out : undefined;
  }

  /** "2", "the second one", "option 3", "last": an index, if the answer is only a position. */
  private position(ws: readonly string[]): number | undefined {
    const rest = ws.filter((w) => !['the', 'one', 'option', 'number', 'no', 'choice', 'please', 'item', '#'].includes(w));
    if (rest.length !== 1) return undefined;
    const w = rest[0]!;
    const n = /^\d{1,2}$/.test(w) ? Number(w) : ORDINALS[w];
    if (n === undefined) return undefined;
    // A number that is itself an option's label ("2") was matched above; here it is a position.
    const i = n === -1 ? this.options.length - 1 : n - 1;
    return i >= 0 && i < this.options.length ? i : undefined;
  }

  /** Options whose key appears in the words (each word used by one key at most, longest keys first). */
  private mentioned(ws: readonly string[]): number[] {
    const used = new Array<boolean>(ws.length).fill(false);
    const found: number[] = [];
    for (const k of this.keys) {
      for (let i = 0; i + k.words.length <= ws.length; i++) {
        if (k.words.every((w, j) => ws[i + j] === w && !used[i + j])) {
          for (let j = 0; j < k.words.length; j++) used[i + j] = true;
          if (!found.includes(k.option)) found.push(k.option);
        }
      }
    }
    return found;
  }
}
