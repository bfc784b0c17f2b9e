import { stemmer } from 'stemmer';

/**
 * Text normalisation shared by intents and entities: lower case, accents folded, English contractions
 * expanded, punctuation dropped (inside-word apostrophes and hyphens join), whitespace collapsed.
 */

const CONTRACTIONS: readonly [RegExp, string][] = [
  [/\bcan['’]t\b/g, 'can not'],
  [/\bwon['’]t\b/g, 'will not'],
  [/\bshan['’]t\b/g, 'shall not'],
  [/n['’]t\b/g, ' not'],
  [/['’]m\b/g, ' am'],
  [/['’]re\b/g, ' are'],
  [/['’]ll\b/g, ' will'],
  [/['’]ve\b/g, ' have'],
  [/['’]d\b/g, ' would'],
  [/['’]s\b/g, ''],
];

const NON_ASCII = /[^\x00-\x7f]/;
const APOSTROPHE = /['’]/;
const MARKS = /[\u0300-\u036f]/g;
const GAPS = /[^\p{L}\p{N}]+/gu;
const ASCII_GAPS = /[^a-z0-9]+/g;

export function normalise(text: string): string {
  // Most chat text is plain ASCII without apostrophes: it skips the Unicode folding and the contractions.
  const ascii = !NON_ASCII.test(text);
  let s = ascii ? text.toLowerCase() : text.normalize('NFKD').replace(MARKS, '').toLowerCase();
  if (APOSTROPHE.test(s)) for (const [re, to] of CONTRACTIONS) s = s.replace(re, to);
  return s.replace(ascii ? ASCII_GAPS : GAPS, ' ').trim();
}

export const words = (text: string): string[] => {
  const n = normalise(text);
  return n === '' ? [] : n.split(' ');
};

/** Words that carry no intent on their own (negations are kept). */
export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a an the i me my mine myself we us our you your yours it its this that these those to of for in on at by from ' +
    'is am are was were be been being and or but so just please pls plz kindly can could would will shall should may ' +
    'might do does did doing have has had some any there here then also very really quite want wanna need needs like ' +
    'would get got gonna im ok okay um uh all give what how which who when why'
  ).split(' '),
);

const stems = new Map<string, string>();
/** Porter stem, memoised (the vocabulary of a bot is small; user words repeat). */
export function stem(word: string): string {
  let s = stems.get(word);
  if (s === undefined) {
    s = /^\d+$/.test(word) ? word : stemmer(word);
    if (stems.size > 50_000) stems.clear();
    stems.set(word, s);
  }
  return s;
}

/**
 * Multi-word synonyms: every variant (one or more words) is replaced by its canonical form, longest
 * variants first. Words are compared by stem, so a variant covers its inflections ("crashes" covers
 * "crashing"). Built from the bot's `synonyms:` plus a few built-in ones.
 */
export class Synonyms {
  private readonly byFirst = new Map<string, { stems: string[]; to: string[] }[]>();

  constructor(table: Readonly<Record<string, readonly string[]>>) {
    const all: Record<string, readonly string[]> = { ...BUILTIN_SYNONYMS };
    for (const [k, v] of Object.entries(table)) all[k] = [...(all[k] ?? []), ...v];
    for (const [canonical, variants] of Object.entries(all)) {
      const to = words(canonical);
      for (const v of variants) {
        const st = words(v).map(stem);
        if (st.length === 0) continue;
        const list = this.byFirst.get(st[0]!) ?? [];
        list.push({ stems: st, to });
        list.sort((a, b) => b.stems.length - a.stems.length);
        this.byFirst.set(st[0]!, list);
      }
    }
  }

  apply(ws: readonly string[]): string[] {
    const st = ws.map(stem);
    const out: string[] = [];
    for (let i = 0; i < ws.length; ) {
      const candidates = this.byFirst.get(st[i]!);
      const hit = candidates?.find((c) => c.stems.every((s, j) => st[i + j] === s));
      if (hit) {
        out.push(...hit.to);
        i += hit.stems.length;
      } else out.push(ws[i++]!);
    }
    return out;
  }
}

const BUILTIN_SYNONYMS: Record<string, readonly string[]> = {
  password: ['pwd', 'passwd', 'pw', 'pass word', 'passcode'],
  login: ['log in', 'log on', 'logon', 'sign in', 'signin'],
  wifi: ['wi fi', 'wireless'],
  email: ['e mail', 'mail'],
  agent: ['human', 'person', 'someone real', 'real person', 'representative', 'rep', 'operator'],
};
