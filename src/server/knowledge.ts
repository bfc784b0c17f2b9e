import { existsSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../core/ports/logger.js';
import { loadIndex, passagesOfFolder } from '../knowledge/folder.js';
import { KnowledgeBase } from '../knowledge/knowledge-base.js';
import { SearchIndex } from '../knowledge/search-index.js';
import type { Settings } from './config/schema.js';

/** A bot definition's knowledge lives in its `knowledge/` folder (Markdown, HTML, text). */
export const knowledgeFolder = (definitionDir: string): string => join(definitionDir, 'knowledge');

/** Where indexes are persisted: next to the server's other local state. */
export const knowledgeCache = (dataDir: string): string => join(dataDir, 'knowledge');

export interface OpenedKnowledge {
  readonly kb: KnowledgeBase;
  close(): void;
}

type KnowledgeSettings = Pick<Settings, 'store' | 'dataDir' | 'knowledgeLlmUrl' | 'knowledgeLlmModel' | 'knowledgeLlmApiKey' | 'knowledgeLlmTimeoutMs'>;

/**
 * The knowledge base of a bot definition, if it has one: the persisted index when the files are unchanged,
 * else a fresh one; re-indexed when a file of the folder changes. A `memory` store persists nothing.
 */
export function openKnowledge(definitionDir: string, s: KnowledgeSettings, log: Logger): OpenedKnowledge | undefined {
  const folder = knowledgeFolder(definitionDir);
  if (!existsSync(folder)) return undefined;
  const load = (): SearchIndex => {
    if (s.store === 'memory') return SearchIndex.build(passagesOfFolder(folder));
    const loaded = loadIndex(folder, knowledgeCache(s.dataDir));
    log.info({ folder, documents: loaded.documents, passages: loaded.passages, rebuilt: loaded.rebuilt }, 'knowledge.loaded');
    return loaded.index;
  };
  const generative = s.knowledgeLlmUrl
    ? { baseUrl: s.knowledgeLlmUrl, model: s.knowledgeLlmModel, apiKey: s.knowledgeLlmApiKey, timeoutMs: s.knowledgeLlmTimeoutMs }
    : undefined;
  const kb = new KnowledgeBase(load(), generative ? { generative } : {});
  let timer: ReturnType<typeof setTimeout> | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(folder, () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        try {
          kb.replace(load());
        } catch (err) {
          log.error({ err, folder }, 'knowledge.reindex_failed');
        }
      }, 300);
      timer.unref();
    });
    watcher.unref();
  } catch (err) {
    log.warn({ err, folder }, 'knowledge.watch_failed');
  }
  return {
    kb,
    close: () => {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
