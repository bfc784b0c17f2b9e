import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { BotFileSchema, EntitiesSchema } from './bot-schema.js';
import { FlowSchema, NODE_SCHEMAS, NodeShape, type NodeType } from './schema.js';
import type { PathSegment, Problem, SourceFile } from './source.js';

/** Schema checks of the definition files, with messages an author can act on, at the right line. */

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: false });
const validators = {
  bot: ajv.compile(BotFileSchema),
  flow: ajv.compile(FlowSchema),
  entities: ajv.compile(EntitiesSchema),
  nodeShape: ajv.compile(NodeShape),
  nodes: Object.fromEntries(Object.entries(NODE_SCHEMAS).map(([k, s]) => [k, ajv.compile(s)])) as Record<NodeType, ValidateFunction>,
};

const segments = (pointer: string): PathSegment[] =>
  pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
        .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

const IDENT = '^[A-Za-z][A-Za-z0-9_-]{0,63}$';

/** ajv errors → problems. A failed union reports once (its branches' errors are noise to an author). */
function describe(file: SourceFile, base: readonly PathSegment[], errors: readonly ErrorObject[]): Problem[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath);
  const insideUnion = (e: ErrorObject) => e.keyword !== 'anyOf' && unions.some((u) => e.instancePath.startsWith(u) && e.schemaPath.includes('anyOf'));
  const out: Problem[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (insideUnion(e)) continue;
    const path = [...base, ...segments(e.instancePath)];
    const where = path.length ? path.join('.') : '(top level)';
    const p = e.params as Record<string, unknown>;
    let message: string;
    let key: string | undefined;
    switch (e.keyword) {
      case 'required':
        message = `${where}: missing "${String(p['missingProperty'])}"`;
        break;
      case 'additionalProperties':
        key = String(p['additionalProperty']);
        message = `${where}: unknown key "${key}"`;
        break;
      case 'anyOf': {
        const consts = errors.filter((x) => x.instancePath === e.instancePath && x.keyword === 'const').map((x) => JSON.stringify((x.params as { allowedValue: unknown }).allowedValue));
        message = consts.length ? `${where}: must be one of ${consts.join(', ')}` : `${where}: does not have any of the allowed shapes (see docs/dialog.md)`;
        break;
      }
      case 'pattern':
        message = p['pattern'] === IDENT ? `${where}: must be a name of letters, digits, "_" or "-", starting with a letter` : `${where}: must match ${String(p['pattern'])}`;
        break;
      default:
        message = `${where}: ${e.message ?? 'is invalid'}`;
    }
    if (seen.has(message)) continue;
    seen.add(message);
    out.push(file.problem(path, message, key));
  }
  return out;
}

export function checkBotFile(file: SourceFile): Problem[] {
  return validators.bot(file.value ?? {}) ? [] : describe(file, [], validators.bot.errors ?? []);
}

export function checkEntitiesFile(file: SourceFile): Problem[] {
  return validators.entities(file.value ?? {}) ? [] : describe(file, [], validators.entities.errors ?? []);
}

/** A flow file: its own keys, then each node against the schema of its `type`. */
export function checkFlowFile(file: SourceFile): Problem[] {
  const value = file.value ?? {};
  const problems = validators.flow(value) ? [] : describe(file, [], validators.flow.errors ?? []);
  const nodes = (value as { nodes?: unknown }).nodes;
  if (!Array.isArray(nodes)) return problems;
  nodes.forEach((n, i) => {
    if (!validators.nodeShape(n)) {
      const type = (n as { type?: unknown })?.type;
      problems.push(
        file.problem(['nodes', i], type === undefined ? `nodes.${i}: missing "type"` : `nodes.${i}.type: must be one of ${Object.keys(NODE_SCHEMAS).join(', ')}`, 'type'),
      );
      return;
    }
    const check = validators.nodes[(n as { type: NodeType }).type];
    if (!check(n)) problems.push(...describe(file, ['nodes', i], check.errors ?? []));
  });
  return problems;
}
