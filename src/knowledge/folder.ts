import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { formatOf, passagesOf, type Passage } from './documents.js';
import { SearchIndex } from './search-index.js';

/**
 * A knowledge folder on disk → its index, persisted next to the server's data. The index is rebuilt only when
 * the folder's content hash (every file's path and bytes, and the index format) changed.
 */

/** Bump when passages or the index options change: persisted indexes are then rebuilt. */
const FORMAT = 'kb-1';

export interface LoadedIndex {
  readonly index: SearchIndex;
  readonly documents: number;
  readonly passages: number;
  readonly hash: string;
  /** False when the persisted index was current and was loaded as is. */
  readonly rebuilt: boolean;
  readonly file: string;
}

/** The knowledge files of a folder (recursively), sorted, relative with `/`. */
export function knowledgeFiles(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile() && formatOf(e.name)) out.push(relative(folder, full).split(sep).join('/'));
    }
  };
  walk(folder);
  return out.sort();
}

export function passagesOfFolder(folder: string, files = knowledgeFiles(folder)): Passage[] {
  return files.flatMap((f) => passagesOf(f, readFileSync(join(folder, f), 'utf8'), formatOf(f)!, `kb:${f}`));
}

export function folderHash(folder: string, files = knowledgeFiles(folder)): string {
  const h = createHash('sha256').update(FORMAT);
  for (const f of files) h.update(`\0${f}\0`).update(readFileSync(join(folder, f)));
  return h.digest('hex');
}

/** Load the folder's index from `cacheDir` if it is current, else build it and persist it there. */
export function loadIndex(folder: string, cacheDir: string, force = false): LoadedIndex {
  const files = knowledgeFiles(folder);
  const hash = folderHash(folder, files);
  const file = join(cacheDir, `knowledge-${createHash('sha256').update(resolve(folder)).digest('hex').slice(0, 16)}.json`);
  if (!force && existsSync(file)) {
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { hash: string; documents: number; passages: number; index: string };
      if (saved.hash === hash) return { index: SearchIndex.load(saved.index), documents: saved.documents, passages: saved.passages, hash, rebuilt: false, file };
    } catch {
      // A damaged file is rebuilt below.
    }
  }
  const passages = passagesOfFolder(folder, files);
  const index = SearchIndex.build(passages);
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ hash, documents: files.length, passages: passages.length, index: index.toJSON() }));
  renameSync(tmp, file);
  return { index, documents: files.length, passages: passages.length, hash, rebuilt: true, file };
}
