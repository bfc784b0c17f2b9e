import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import type { CompiledBot } from './compiled.js';
import { compile, type DefinitionSources } from './compile.js';
import type { BotFile, EntitiesFile } from './bot-schema.js';
import type { FlowFile } from './schema.js';
import { DefinitionError, SourceFile, type Problem } from './source.js';
import { checkBotFile, checkEntitiesFile, checkFlowFile } from './validate.js';

/**
 * A bot definition folder:
 *   bot.yaml          the bot: name, NLU settings, synonyms, welcome/fallback flows, system intents, texts
 *   entities.yaml     optional: choice lists and patterns that prompts refer to by name
 *   flows/*.yaml      one flow per file; its id is the file name unless it says otherwise
 * Anything else in the folder (an `eval/` set, a README) is not read.
 */

const MAX_FILE_BYTES = 1 << 20;

/** A path as shown to the author: relative to the working directory when inside it. */
const shown = (path: string): string => {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !rel.startsWith(sep) ? rel : path;
};

function read(path: string, problems: Problem[]): SourceFile | undefined {
  try {
    if (statSync(path).size > MAX_FILE_BYTES) {
      problems.push({ file: shown(path), line: 1, col: 1, message: `larger than ${MAX_FILE_BYTES} bytes` });
      return undefined;
    }
    const file = new SourceFile(shown(path), readFileSync(path, 'utf8'));
    problems.push(...file.problems);
    return file.problems.length === 0 ? file : undefined;
  } catch (err) {
    problems.push({ file: shown(path), line: 1, col: 1, message: `cannot be read: ${(err as Error).message}` });
    return undefined;
  }
}

/** Read, validate and compile the bot definition in `dir`; all problems, or the bot. */
export function checkBotDefinition(dir: string): { bot?: CompiledBot; problems: Problem[] } {
  const root = resolve(dir);
  const problems: Problem[] = [];
  const botPath = join(root, 'bot.yaml');
  if (!existsSync(botPath)) return { problems: [{ file: shown(root), line: 1, col: 1, message: 'not a bot definition: bot.yaml is missing' }] };

  const botFile = read(botPath, problems);
  if (botFile) problems.push(...checkBotFile(botFile));

  let entities: DefinitionSources['entities'];
  const entitiesPath = join(root, 'entities.yaml');
  if (existsSync(entitiesPath)) {
    const file = read(entitiesPath, problems);
    if (file) {
      const p = checkEntitiesFile(file);
      problems.push(...p);
      if (p.length === 0) entities = { file, entities: (file.value as EntitiesFile).entities };
    }
  }

  const flows: { file: SourceFile; def: FlowFile; id: string }[] = [];
  const flowDir = join(root, 'flows');
  const names = existsSync(flowDir) ? readdirSync(flowDir).filter((n) => /\.ya?ml$/.test(n)).sort() : [];
  if (names.length === 0) problems.push({ file: shown(flowDir), line: 1, col: 1, message: 'no flows: add at least one flows/<name>.yaml' });
  for (const name of names) {
    const file = read(join(flowDir, name), problems);
    if (!file) continue;
    const p = checkFlowFile(file);
    problems.push(...p);
    if (p.length > 0) continue;
    const def = file.value as FlowFile;
    flows.push({ file, def, id: def.id ?? basename(name).replace(/\.ya?ml$/, '') });
  }
  if (!botFile || problems.length > 0) return { problems };
  return compile({ bot: { file: botFile, def: botFile.value as BotFile }, ...(entities ? { entities } : {}), flows });
}

/** The compiled bot in `dir`; throws {@link DefinitionError} listing every problem. */
export function loadBotDefinition(dir: string): CompiledBot {
  const { bot, problems } = checkBotDefinition(dir);
  if (!bot || problems.length > 0) throw new DefinitionError(problems);
  return bot;
}
