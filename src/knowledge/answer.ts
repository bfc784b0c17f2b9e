import type { Card, Content } from '../core/model.js';
import type { Passage } from './documents.js';
import { termsOf, type Hit } from './search-index.js';

/**
 * Answers from passages (pure): the extractive answer — the sentences of the best passage that bear on the
 * question, in their order — and the citations every answer carries (title, snippet, link).
 */

/** An extractive answer keeps at most this many sentences of the best passage. */
const MAX_SENTENCES = 4;
const SNIPPET_CHARS = 160;

/** Sentences of a passage; list items (one paragraph each) stay whole. */
export const sentencesOf = (text: string): string[] =>
  text
    .split(/\n\n+/)
    .flatMap((p) => p.split(/(?<=[.!?])\s+(?=[A-Z0-9"'(])/))
    .map((s) => s.trim())
    .filter((s) => s !== '');

/**
 * The passage trimmed to the question: each sentence scores by the question terms it has; the best ones (at
 * most {@link MAX_SENTENCES}) are kept in their order, together with the sentence after a kept one that ends
 * in `:` (a step list's lead-in needs its first step). A short passage is kept whole.
 */
export function trimToQuestion(passage: Passage, question: string): string {
  const sentences = sentencesOf(passage.text);
  if (sentences.length <= MAX_SENTENCES) return sentences.join(passage.text.includes('\n\n') ? '\n' : ' ');
  const wanted = new Set(termsOf(question));
  const scored = sentences.map((s, i) => ({ i, score: termsOf(s).filter((t) => wanted.has(t)).length - i * 0.01 }));
  const keep = new Set(
    scored
      .filter((s) => s.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, MAX_SENTENCES)
      .map((s) => s.i),
  );
  if (keep.size === 0) for (let i = 0; i < MAX_SENTENCES; i++) keep.add(i);
  for (const i of [...keep]) if (sentences[i]!.endsWith(':') && i + 1 < sentences.length) keep.add(i + 1);
  return [...keep]
    .sort((a, b) => a - b)
    .map((i) => sentences[i]!)
    .join('\n');
}

/** Distinct documents of the hits, best first: one citation per document, at most `max`. */
export function citationsOf(hits: readonly Hit[], max = 3): Card[] {
  const seen = new Set<string>();
  const cards: Card[] = [];
  for (const h of hits) {
    if (seen.has(h.passage.file) || cards.length >= max) continue;
    seen.add(h.passage.file);
    const p = h.passage;
    const snippet = p.text.length > SNIPPET_CHARS ? `${p.text.slice(0, SNIPPET_CHARS).replace(/\s+\S*$/, '')}…` : p.text;
    cards.push({ title: p.heading === p.docTitle ? p.docTitle : `${p.docTitle}: ${p.heading}`, subtitle: snippet.replace(/\s+/g, ' '), url: p.url });
  }
  return cards;
}

/** The text of an extractive answer: the trimmed best passage under its heading. */
export function extractiveText(hits: readonly Hit[], question: string): string {
  const best = hits[0]!.passage;
  return `**${best.heading}**\n\n${trimToQuestion(best, question)}`;
}

/** The authoritative content of an answer: its text, then its citations. */
export function answerContent(text: string, hits: readonly Hit[]): Content[] {
  const cards = citationsOf(hits);
  return [{ type: 'text', text }, ...(cards.length > 0 ? [{ type: 'list' as const, title: 'Sources', items: cards }] : [])];
}

/** The prompt of a generative answer: the passages, numbered, and the question. */
export function promptOf(hits: readonly Hit[], question: string): { role: 'system' | 'user'; content: string }[] {
  const sources = hits.map((h, i) => `[${i + 1}] ${h.passage.docTitle} — ${h.passage.heading}\n${h.passage.text}`).join('\n\n');
  return [
    {
      role: 'system',
      content:
        'You are an IT helpdesk assistant. Answer the question using only the numbered passages. Be brief and practical; ' +
        'cite passages like [1]. If the passages do not answer the question, say that you do not know.',
    },
    { role: 'user', content: `Passages:\n\n${sources}\n\nQuestion: ${question}` },
  ];
}
