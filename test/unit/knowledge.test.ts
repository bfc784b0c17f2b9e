import { describe, expect, test } from 'vitest';
import { evaluate, TARGET } from '../../scripts/kb-eval.js';
import { citationsOf, trimToQuestion } from '../../src/knowledge/answer.js';
import { passagesOf } from '../../src/knowledge/documents.js';
import { SearchIndex } from '../../src/knowledge/search-index.js';
import { SseParser } from '../../src/knowledge/sse.js';

describe('retrieval quality on the demo knowledge base', () => {
  test(`recall@3 on the held-out questions is at least ${TARGET}`, () => {
    const r = evaluate();
    expect(r.total).toBeGreaterThanOrEqual(30);
    expect(r.missed).toEqual(r.recall >= TARGET ? r.missed : []);
    expect(r.recall).toBeGreaterThanOrEqual(TARGET);
  });
});

describe('documents → passages', () => {
  test('Markdown: front matter (title, url), a passage per heading, inline markup reduced, list items kept apart', () => {
    const md = '---\ntitle: "Guide"\nurl: https://x.example/g\n---\nIntro with a [link](https://l) and **bold**.\n\n## Steps\n\n- one\n- two\n';
    const ps = passagesOf('g.md', md, 'markdown', 'kb:g.md');
    expect(ps.map((p) => [p.id, p.heading, p.text, p.url])).toEqual([
      ['g.md#guide', 'Guide', 'Intro with a link and bold.', 'https://x.example/g#guide'],
      ['g.md#steps', 'Steps', 'one\n\ntwo', 'https://x.example/g#steps'],
    ]);
  });

  test('HTML: <title>, canonical link, sections at h2, scripts and styles dropped, entities decoded', () => {
    const html = '<html><head><title>T &amp; U</title><link rel="canonical" href="https://x.example/t"><style>p{}</style></head><body><h1>T</h1><p>Top.</p><h2>Part</h2><script>evil()</script><p>A &lt;b&gt; c</p><ul><li>item</li></ul></body></html>';
    const ps = passagesOf('t.html', html, 'html', 'kb:t.html');
    expect(ps.map((p) => [p.heading, p.text, p.url])).toEqual([
      ['T & U', 'Top.', 'https://x.example/t#t-u'],
      ['Part', 'A <b> c\n\nitem', 'https://x.example/t#part'],
    ]);
  });

  test('text: the first line is the title, `HEADING:` lines start sections; the default URL is used', () => {
    const ps = passagesOf('n.txt', 'Notes\n\nFIRST:\nalpha\nbeta\n\nSecond part:\ngamma\n', 'text', 'kb:n.txt');
    expect(ps.map((p) => [p.docTitle, p.heading, p.text, p.url])).toEqual([
      ['Notes', 'FIRST', 'alpha beta', 'kb:n.txt#first'],
      ['Notes', 'Second part', 'gamma', 'kb:n.txt#second-part'],
    ]);
  });

  test('a long section is split at paragraphs', () => {
    const para = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
    const ps = passagesOf('l.md', `# L\n\n## S\n\n${para}\n\n${para}\n\n${para}\n`, 'markdown', 'kb:l.md');
    expect(ps.map((p) => p.id)).toEqual(['l.md#s', 'l.md#s~2', 'l.md#s~3']);
  });
});

describe('answers', () => {
  const passages = passagesOf('a.md', '# A\n\n## Printing\n\nOne sentence about toner. Another about paper jams. A third about badges. A fourth about scanning. A fifth about queues. Finally the toner is replaced daily.\n', 'markdown', 'kb:a.md');
  test('trimmed to the question: the sentences that bear on it, in order', () => {
    expect(trimToQuestion(passages[0]!, 'who replaces the toner')).toBe('One sentence about toner.\nFinally the toner is replaced daily.');
  });
  test('one citation per document, with a snippet and the link', () => {
    const index = SearchIndex.build([...passages, ...passagesOf('b.md', '# B\n\n## Toner\n\nToner again.\n', 'markdown', 'kb:b.md')]);
    const hits = index.search('toner', 3);
    expect(hits.length).toBeGreaterThan(0);
    expect(citationsOf([...hits, ...hits]).map((c) => c.url).sort()).toEqual(['kb:a.md#printing', 'kb:b.md#toner']);
  });
  test('the index survives its JSON form', () => {
    const index = SearchIndex.build(passages);
    expect(SearchIndex.load(index.toJSON()).search('paper jams', 1)[0]!.passage.id).toBe('a.md#printing');
  });
});

describe('server-sent events', () => {
  test('data lines, events split across pieces, CRLF, comments, multi-line data', () => {
    const p = new SseParser();
    expect(p.push(': keep-alive\n\ndata: {"a":')).toEqual([]);
    expect(p.push('1}\r')).toEqual([]);
    expect(p.push('\n\r\ndata: x\ndata: y\nevent: ignored\n\ndata:[DONE]\n\n')).toEqual(['{"a":1}', 'x\ny', '[DONE]']);
  });
});
