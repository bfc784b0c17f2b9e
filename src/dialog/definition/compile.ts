import { IntentClassifier } from '../nlu/classifier.js';
import { SYSTEM_COMMANDS, SYSTEM_EXAMPLES, SystemCommands } from '../nlu/system.js';
import { Synonyms, words } from '../nlu/text.js';
import { stringsIn, templateProblems, variablesOf } from '../flow/template.js';
import { DEFAULT_MESSAGES, END, systemIntentName, type CompiledBot, type CompiledFlow, type CompiledNode } from './compiled.js';
import { compileField, compilePrompt, type Issue } from './nodes.js';
import { SYSTEM_INTENTS, type BotFile, type EntityDef, type SystemIntent } from './bot-schema.js';
import type { FlowFile, NodeDef } from './schema.js';
import type { PathSegment, Problem, SourceFile } from './source.js';

/** Schema-valid definition files, not yet cross-checked. */
export interface DefinitionSources {
  readonly bot: { readonly file: SourceFile; readonly def: BotFile };
  readonly entities?: { readonly file: SourceFile; readonly entities: Readonly<Record<string, EntityDef>> };
  readonly flows: readonly { readonly file: SourceFile; readonly def: FlowFile; readonly id: string }[];
}

/** Keys of a node that name another node of the same flow. */
function targets(n: NodeDef): { at: PathSegment[]; id: string }[] {
  const out: { at: PathSegment[]; id: string }[] = [];
  const add = (key: string, v: unknown) => typeof v === 'string' && out.push({ at: [key], id: v });
  const any = n as Record<string, unknown>;
  for (const key of ['next', 'yes', 'no', 'onFail', 'onError', 'default']) add(key, any[key]);
  if (n.type === 'condition') n.branches.forEach((b, i) => out.push({ at: ['branches', i, 'next'], id: b.next }));
  return out;
}

const DEFAULT_NLU = { threshold: 0.42, ambiguityMargin: 0.06, interruptThreshold: 0.62 };

/** Cross-check the definition and build what the engine runs; every problem is reported with its line. */
export function compile(src: DefinitionSources): { bot?: CompiledBot; problems: Problem[] } {
  const problems: Problem[] = [];
  const botDef = src.bot.def;
  const botFile = src.bot.file;
  const custom = new Map(Object.entries(src.entities?.entities ?? {}));
  const flowIds = new Map<string, SourceFile>();
  for (const f of src.flows) {
    if (f.id.includes(':') || f.id === END) {
      problems.push(f.file.problem(['id'], `"${f.id}" is reserved; choose another flow id`));
    }
    const other = flowIds.get(f.id);
    if (other) problems.push(f.file.problem(['id'], `flow "${f.id}" is also defined in ${other.name}`));
    flowIds.set(f.id, f.file);
  }
  const declaredSecrets = new Set(botDef.secrets ?? []);

  const checkStrings = (file: SourceFile, base: PathSegment[], value: unknown, secretsAllowed: boolean) => {
    for (const { at, s } of stringsIn(value)) {
      for (const p of templateProblems(s)) problems.push(file.problem([...base, ...at], p));
      for (const path of variablesOf(s)) {
        if (path[0] !== 'secrets') continue;
        if (!secretsAllowed) problems.push(file.problem([...base, ...at], 'secrets may only be used in http nodes (never in what the user sees)'));
        else if (!declaredSecrets.has(path[1] ?? '')) problems.push(file.problem([...base, ...at], `secret "${path[1] ?? ''}" is not declared in bot.yaml "secrets"`));
      }
    }
  };

  const flows = new Map<string, CompiledFlow>();
  const examples = new Map<string, string[]>();
  const exampleOwner = new Map<string, string>();
  let nodeCount = 0;
  for (const { file, def, id } of src.flows) {
    const nodes = def.nodes as unknown as NodeDef[];
    const ids = nodes.map((n, i) => n.id ?? `${n.type}${i + 1}`);
    const seen = new Map<string, number>();
    ids.forEach((nid, i) => {
      if (nid === END) problems.push(file.problem(['nodes', i, 'id'], '"end" is reserved (it names the end of the flow)'));
      if (seen.has(nid)) problems.push(file.problem(['nodes', i, 'id'], `node id "${nid}" is used twice in this flow`));
      seen.set(nid, i);
    });
    const compiled = new Map<string, CompiledNode>();
    let interactive = false;
    let callsOut = false;
    nodes.forEach((n, i) => {
      nodeCount++;
      const at = (p: readonly PathSegment[]) => ['nodes', i, ...p];
      for (const t of targets(n)) if (t.id !== END && !seen.has(t.id)) problems.push(file.problem(at(t.at), `no node "${t.id}" in flow "${id}"`));
      const base = { id: ids[i]!, next: n.next ?? ids[i + 1] ?? END };
      const issues: Issue[] = [];
      const { type: _t, id: _i, next: _n, ...rest } = n as NodeDef & Record<string, unknown>;
      checkStrings(file, at([]), rest, n.type === 'http');
      switch (n.type) {
        case 'message': {
          if (!n.text && !n.buttons && !n.quickReplies && !n.carousel && !n.list && !n.links && !n.image) {
            issues.push({ at: [], message: 'a message node needs text, buttons, quickReplies, carousel, list, links or image' });
          }
          if (n.list && !n.list.items && !n.list.from) issues.push({ at: ['list'], message: 'a list needs "items", or "from" and "item"' });
          if (n.list && (n.list.from === undefined) !== (n.list.item === undefined)) issues.push({ at: ['list'], message: '"from" and "item" go together' });
          const kinds = [n.buttons, n.quickReplies, n.links].filter(Boolean).length;
          if (kinds > 1) issues.push({ at: [], message: 'use one of buttons, quickReplies or links in a message node (split it in two nodes)' });
          compiled.set(base.id, { ...base, type: 'message', def: n });
          break;
        }
        case 'prompt': {
          interactive = true;
          const ask = compilePrompt(n, custom, issues);
          if (ask) compiled.set(base.id, { ...base, type: 'prompt', def: n, ask });
          break;
        }
        case 'confirm':
          interactive = true;
          compiled.set(base.id, { ...base, type: 'confirm', def: n });
          break;
        case 'form': {
          interactive = true;
          const names = new Set<string>();
          const fields = n.fields.map((f, j) => {
            if (names.has(f.name)) issues.push({ at: ['fields', j, 'name'], message: `field "${f.name}" is defined twice` });
            names.add(f.name);
            const fieldIssues: Issue[] = [];
            const cf = compileField(f, fieldIssues);
            for (const x of fieldIssues) issues.push({ at: ['fields', j, ...x.at], message: `${f.name}: ${x.message}` });
            return cf;
          });
          compiled.set(base.id, { ...base, type: 'form', def: n, fields });
          break;
        }
        case 'condition':
          compiled.set(base.id, { ...base, next: n.default ?? base.next, type: 'condition', def: n });
          break;
        case 'set':
          compiled.set(base.id, { ...base, type: 'set', def: n });
          break;
        case 'http':
          callsOut = true;
          compiled.set(base.id, { ...base, type: 'http', def: n });
          break;
        case 'handoff':
          compiled.set(base.id, { ...base, type: 'handoff', def: n });
          break;
        case 'flow':
          interactive = true;
          if (!flowIds.has(n.flow)) issues.push({ at: ['flow'], message: `no flow "${n.flow}"` });
          if (n.flow === id) issues.push({ at: ['flow'], message: 'a flow cannot run itself' });
          compiled.set(base.id, { ...base, type: 'flow', def: n });
          break;
        case 'end':
          compiled.set(base.id, { ...base, next: END, type: 'end', def: n });
          break;
      }
      for (const x of issues) problems.push(file.problem(at(x.at), x.message));
    });
    flows.set(id, {
      id,
      title: def.title ?? id.replace(/[_-]+/g, ' '),
      interruptible: def.interruptible ?? true,
      ...(def.resumeText ? { resumeText: def.resumeText } : {}),
      start: ids[0]!,
      nodes: compiled,
      interactive,
      callsOut,
    });
    checkStrings(file, ['resumeText'], def.resumeText, false);
    if (def.examples?.length) {
      examples.set(id, def.examples);
      def.examples.forEach((e, i) => {
        const key = words(e).join(' ');
        const owner = exampleOwner.get(key);
        if (owner && owner !== id) problems.push(file.problem(['examples', i], `"${e}" is also an example of flow "${owner}"`));
        exampleOwner.set(key, id);
      });
    }
  }

  const system: Partial<Record<SystemIntent, string>> = {};
  for (const s of SYSTEM_INTENTS) {
    const conf = botDef.system?.[s];
    if (conf?.flow) {
      if (!flows.has(conf.flow)) problems.push(botFile.problem(['system', s, 'flow'], `no flow "${conf.flow}"`));
      system[s] = conf.flow;
    }
    // A flow that answers a system intent lends it its examples: one intent, not two that compete.
    const lent = conf?.flow ? (examples.get(conf.flow) ?? []) : [];
    if (conf?.flow) examples.delete(conf.flow);
    const phrases = [...(conf?.builtin === false ? [] : SYSTEM_EXAMPLES[s]), ...(conf?.examples ?? []), ...lent];
    if (phrases.length > 0) examples.set(systemIntentName(s), phrases);
  }
  for (const key of ['welcome', 'fallback', 'noAgent'] as const) {
    const f = botDef[key];
    if (f !== undefined && !flows.has(f)) problems.push(botFile.problem([key], `no flow "${f}"`));
  }
  checkStrings(botFile, ['messages'], botDef.messages, false);
  if (botDef.timezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: botDef.timezone });
    } catch {
      problems.push(botFile.problem(['timezone'], `unknown time zone "${botDef.timezone}"`));
    }
  }
  if (problems.length > 0) return { problems };

  const synonyms = new Synonyms(botDef.synonyms ?? {});
  const bot: CompiledBot = {
    name: botDef.name,
    timeZone: botDef.timezone ?? 'UTC',
    country: botDef.defaultCountry ?? 'US',
    secrets: botDef.secrets ?? [],
    nlu: { ...DEFAULT_NLU, ...botDef.nlu },
    retries: botDef.retries ?? 2,
    flows,
    classifier: new IntentClassifier(
      examples,
      synonyms,
      botDef.nlu?.fuzzy ?? true,
      // Pattern entities stand for their values in examples and utterances ("status of HD-1001").
      [...custom].flatMap(([name, e]) => (e.type === 'regex' ? [{ name, re: new RegExp(e.pattern, 'i') }] : [])),
    ),
    commands: new SystemCommands(
      Object.fromEntries(
        SYSTEM_INTENTS.map((s) => {
          const conf = botDef.system?.[s];
          return [s, [...(conf?.builtin === false ? [] : SYSTEM_COMMANDS[s]), ...(conf?.commands ?? [])]];
        }),
      ) as Record<SystemIntent, string[]>,
    ),
    system,
    messages: { ...DEFAULT_MESSAGES, ...botDef.messages },
    ...(botDef.welcome ? { welcome: botDef.welcome } : {}),
    ...(botDef.fallback ? { fallback: botDef.fallback } : {}),
    ...(botDef.noAgent ? { noAgent: botDef.noAgent } : {}),
    variables: { session: botDef.variables?.session ?? {}, user: botDef.variables?.user ?? {} },
    stats: {
      flows: flows.size,
      intents: [...examples.keys()].filter((k) => !k.startsWith('system:')).length,
      examples: [...examples].filter(([k]) => !k.startsWith('system:')).reduce((n, [, v]) => n + v.length, 0),
      nodes: nodeCount,
    },
  };
  return { bot, problems };
}
