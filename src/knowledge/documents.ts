/**
 * Knowledge documents → passages (pure). A Markdown file is split at its headings, an HTML file at its
 * `h1`–`h3`, a text file at blank-line paragraphs; long sections are split again at paragraphs so a passage
 * stays short enough to cite and to put in a prompt.
 */

export type DocumentFormat = 'markdown' | 'html' | 'text';

export interface Passage {
  /** Unique in the knowledge base: `<file>#<section>` (plus `~n` for the parts of a long section). */
  readonly id: string;
  /** The document's file, relative to the knowledge folder. */
  readonly file: string;
  readonly docTitle: string;
  /** The section's heading (the document's title for its untitled start). */
  readonly heading: string;
  readonly text: string;
  /** Where a reader finds it: the document's `url` with the section's anchor. */
  readonly url: string;
}

/** A passage longer than this many words is split at paragraphs. */
const MAX_WORDS = 160;

export const formatOf = (file: string): DocumentFormat | undefined => {
  const ext = file.toLowerCase().split('.').pop();
  return ext === 'md' || ext === 'markdown' ? 'markdown' : ext === 'html' || ext === 'htm' ? 'html' : ext === 'txt' ? 'text' : undefined;
};

export const slug = (s: string): string =>
  s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');

interface Section {
  heading: string;
  paragraphs: string[];
}

/** Split a document into passages. `defaultUrl` is used when the document names no URL of its own. */
export function passagesOf(file: string, source: string, format: DocumentFormat, defaultUrl: string): Passage[] {
  const parsed = format === 'markdown' ? markdown(source) : format === 'html' ? html(source) : text(source);
  const docTitle = parsed.title || file.replace(/\.[^.]+$/, '');
  const url = parsed.url || defaultUrl;
  const out: Passage[] = [];
  const used = new Set<string>();
  for (const section of parsed.sections) {
    const heading = section.heading || docTitle;
    let anchor = slug(heading) || 'top';
    for (let n = 2; used.has(anchor); n++) anchor = `${slug(heading)}-${n}`;
    used.add(anchor);
    const parts = splitLong(section.paragraphs.filter((p) => p.trim() !== ''));
    parts.forEach((body, i) => {
      out.push({ id: `${file}#${anchor}${i > 0 ? `~${i + 1}` : ''}`, file, docTitle, heading, text: body, url: `${url}#${anchor}` });
    });
  }
  return out;
}

function splitLong(paragraphs: readonly string[]): string[] {
  const parts: string[] = [];
  let current: string[] = [];
  let count = 0;
  for (const p of paragraphs) {
    const n = p.split(/\s+/).length;
    if (count > 0 && count + n > MAX_WORDS) {
      parts.push(current.join('\n\n'));
      current = [];
      count = 0;
    }
    current.push(p);
    count += n;
  }
  if (current.length > 0) parts.push(current.join('\n\n'));
  return parts;
}

interface Parsed {
  title: string;
  url: string;
  sections: Section[];
}

/** Markdown: optional front matter (`title:`, `url:`), `#` headings, paragraphs; inline markup reduced to text. */
function markdown(source: string): Parsed {
  let body = source.replace(/\r\n?/g, '\n');
  const meta: Record<string, string> = {};
  const front = /^---\n([\s\S]*?)\n---\n/.exec(body);
  if (front) {
    for (const line of front[1]!.split('\n')) {
      const m = /^([A-Za-z]+):\s*(.*)$/.exec(line);
      if (m) meta[m[1]!.toLowerCase()] = m[2]!.replace(/^["']|["']$/g, '').trim();
    }
    body = body.slice(front[0].length);
  }
  const sections: Section[] = [{ heading: '', paragraphs: [] }];
  let title = meta['title'] ?? '';
  let para: string[] = [];
  const end = () => {
    if (para.length > 0) sections[sections.length - 1]!.paragraphs.push(inline(para.join(' ')));
    para = [];
  };
  for (const line of body.split('\n')) {
    const h = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      end();
      const heading = inline(h[2]!);
      if (h[1]!.length === 1 && !title) title = heading;
      else sections.push({ heading, paragraphs: [] });
      continue;
    }
    if (line.trim() === '' || /^```/.test(line)) {
      end();
      continue;
    }
    // A list item is a paragraph of its own, so a step is never glued to the next.
    if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
      end();
      para.push(line.replace(/^\s*([-*+]|\d+[.)])\s+/, ''));
      end();
      continue;
    }
    para.push(line.trim());
  }
  end();
  return { title, url: meta['url'] ?? '', sections: sections.filter((s) => s.paragraphs.length > 0) };
}

const inline = (s: string): string =>
  s
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__|\*|_|`)(.+?)\1/g, '$2')
    .replace(/\s+/g, ' ')
    .trim();

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'" };
const decode = (s: string): string =>
  s.replace(/&(#\d+|#x[0-9a-f]+|[a-z]+\d?);/gi, (m, e: string) => {
    if (ENTITIES[e.toLowerCase()] !== undefined) return ENTITIES[e.toLowerCase()]!;
    if (e.startsWith('#x') || e.startsWith('#X')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return m;
  });
const textOf = (fragment: string): string => decode(fragment.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim();

/** HTML: `<title>` (or the first `h1`), `<link rel="canonical">`, sections at `h2`/`h3`, paragraphs and list items. */
function html(source: string): Parsed {
  const doc = source.replace(/<(script|style|head|nav|footer)\b[\s\S]*?<\/\1>/gi, (m, tag: string) => (tag.toLowerCase() === 'head' ? m.replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, '') : ''));
  const title = textOf(/<title[^>]*>([\s\S]*?)<\/title>/i.exec(doc)?.[1] ?? '') || textOf(/<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(doc)?.[1] ?? '');
  const url = /<link[^>]+rel=["']canonical["'][^>]*href=["']([^"']+)["']/i.exec(doc)?.[1] ?? '';
  const body = /<body[^>]*>([\s\S]*)<\/body>/i.exec(doc)?.[1] ?? doc.replace(/<head[\s\S]*?<\/head>/i, '');
  const sections: Section[] = [{ heading: '', paragraphs: [] }];
  const blocks = /<(h[1-6]|p|li|dd|dt|td|pre|blockquote)\b[^>]*>([\s\S]*?)<\/\1>/gi;
  for (const m of body.matchAll(blocks)) {
    const tag = m[1]!.toLowerCase();
    const content = textOf(m[2]!);
    if (!content) continue;
    if (tag === 'h1') continue;
    if (/^h[2-6]$/.test(tag)) sections.push({ heading: content, paragraphs: [] });
    else sections[sections.length - 1]!.paragraphs.push(content);
  }
  return { title, url, sections: sections.filter((s) => s.paragraphs.length > 0) };
}

/** Plain text: the first line is the title; a short line ending in `:` or in capitals starts a section. */
function text(source: string): Parsed {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const title = (lines.shift() ?? '').trim();
  const sections: Section[] = [{ heading: '', paragraphs: [] }];
  let para: string[] = [];
  const end = () => {
    if (para.length > 0) sections[sections.length - 1]!.paragraphs.push(para.join(' '));
    para = [];
  };
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || /^[=-]{3,}$/.test(line)) {
      end();
      continue;
    }
    if (line.length < 60 && (/:$/.test(line) || (/[A-Z]/.test(line) && line === line.toUpperCase()))) {
      end();
      sections.push({ heading: line.replace(/:$/, ''), paragraphs: [] });
      continue;
    }
    para.push(line);
  }
  end();
  return { title, url: '', sections: sections.filter((s) => s.paragraphs.length > 0) };
}
