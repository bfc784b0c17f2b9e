import { isMap, isNode, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';

/** A problem in a bot definition, with where it is: `file:line:col: problem`. */
export interface Problem {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

export const formatProblem = (p: Problem): string => `${p.file}:${p.line}:${p.col}: ${p.message}`;

/** The bot definition has problems; each names its file and line. */
export class DefinitionError extends Error {
  constructor(readonly problems: readonly Problem[]) {
    super(`Invalid bot definition:\n  - ${problems.map(formatProblem).join('\n  - ')}`);
    this.name = 'DefinitionError';
  }
}

export type PathSegment = string | number;

/**
 * One YAML file of a definition, parsed with positions: any value can be traced back to its line, so
 * schema errors and cross-reference errors point at what the author wrote.
 */
export class SourceFile {
  readonly value: unknown;
  readonly problems: Problem[] = [];
  private readonly doc: Document;
  private readonly lines = new LineCounter();

  constructor(
    /** Path as shown in messages (relative to where the author works). */
    readonly name: string,
    text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    for (const e of [...this.doc.errors, ...this.doc.warnings]) {
      const at = this.lines.linePos(e.pos[0]);
      this.problems.push({ file: name, line: at.line, col: at.col, message: e.message.split('\n')[0]! });
    }
    this.value = this.doc.errors.length === 0 ? this.doc.toJS({ maxAliasCount: 100 }) : undefined;
  }

  /** A problem at the value found at `path` (or its nearest existing parent); at `key`'s name when given. */
  problem(path: readonly PathSegment[], message: string, key?: string): Problem {
    const offset = this.offsetOf(path, key);
    const at = this.lines.linePos(offset);
    return { file: this.name, line: Math.max(1, at.line), col: Math.max(1, at.col), message };
  }

  private offsetOf(path: readonly PathSegment[], key?: string): number {
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node);
    for (const seg of path) {
      if (!isNode(node) || !('items' in node)) break;
      const next = (node as { get(k: unknown, keep: boolean): unknown }).get(seg, true);
      if (next === undefined) break;
      node = next;
      offset = rangeStart(node) ?? offset;
    }
    if (key !== undefined && isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
      if (pair && isScalar(pair.key)) offset = rangeStart(pair.key) ?? offset;
    }
    return offset ?? 0;
  }
}

function rangeStart(node: unknown): number | undefined {
  return isNode(node) && node.range ? node.range[0] : undefined;
}
