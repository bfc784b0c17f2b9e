import type { BotOutput, BotStream, StreamProgress, StreamResult } from '../core/ports/bot.js';
import type { Knowledge } from '../core/ports/knowledge.js';
import { answerContent, extractiveText, promptOf } from './answer.js';
import { ChatFailure, streamChat, type ChatSettings } from './openai.js';
import type { Hit, SearchIndex } from './search-index.js';

export interface KnowledgeOptions {
  /** A passage answers a question when it matches at least this share of the question's content terms. */
  readonly minCoverage?: number;
  /** Passages an answer is built from (and cites, one per document). */
  readonly passages?: number;
  /** Answer with a language model through an OpenAI-compatible endpoint; absent: extractive answers. */
  readonly generative?: ChatSettings;
}

const MIN_COVERAGE = 0.5;
const PASSAGES = 3;
/** The name a failing model has in `service_failed` (and Aisera's `ExternalSystemError.system.name`). */
export const GENERATOR_NAME = 'knowledge.generate';

const messages = (contents: readonly ReturnType<typeof answerContent>[number][]): BotOutput[] => contents.map((content) => ({ kind: 'message', content }));

/** A bot's knowledge base: search, and answers that stream (extractive by default, generative when configured). */
export class KnowledgeBase implements Knowledge {
  constructor(
    private index: SearchIndex,
    private readonly options: KnowledgeOptions = {},
  ) {}

  /** The files changed: answer from the new index from now on. */
  replace(index: SearchIndex): void {
    this.index = index;
  }

  get size(): number {
    return this.index.size;
  }

  /** The best passages, best first, relevant or not (for `colloquy kb search` and the evaluation). */
  search(question: string, limit = PASSAGES): Hit[] {
    return this.index.search(question, limit);
  }

  /** The passages that are about the question (none: the knowledge base cannot answer it). */
  relevant(question: string): Hit[] {
    const hits = this.index.search(question, this.options.passages ?? PASSAGES);
    if ((hits[0]?.coverage ?? 0) < (this.options.minCoverage ?? MIN_COVERAGE)) return [];
    return hits;
  }

  ask(question: string): BotStream | undefined {
    const hits = this.relevant(question);
    if (hits.length === 0) return undefined;
    const generative = this.options.generative;
    return generative ? new GenerativeAnswer(hits, question, generative) : new ExtractiveAnswer(hits, question);
  }
}

/** The best passage trimmed to the question, with citations; offline, one chunk. */
export class ExtractiveAnswer implements BotStream {
  constructor(
    private readonly hits: readonly Hit[],
    private readonly question: string,
  ) {}

  run(progress: StreamProgress): Promise<StreamResult> {
    const text = extractiveText(this.hits, this.question);
    progress.delta(text);
    return Promise.resolve({ finishReason: 'stop', outputs: messages(answerContent(text, this.hits)) });
  }
}

/**
 * A model writes the answer from the passages, streamed token by token. When the model fails — timeout,
 * network, an error status — the failure is reported (`service_failed`) and the extractive answer is given
 * instead: streamed, if nothing was yet; as the authoritative text of an `error` completion, if the model
 * failed mid-answer.
 */
export class GenerativeAnswer implements BotStream {
  constructor(
    private readonly hits: readonly Hit[],
    private readonly question: string,
    private readonly settings: ChatSettings,
  ) {}

  async run(progress: StreamProgress, signal: AbortSignal): Promise<StreamResult> {
    progress.status('generating');
    let text = '';
    try {
      const finish = await streamChat(
        this.settings,
        promptOf(this.hits, this.question),
        (delta) => {
          text += delta;
          progress.delta(delta);
        },
        signal,
      );
      if (text.trim() === '') throw new ChatFailure('status', 200, 'the model answered nothing');
      return { finishReason: finish === 'length' ? 'length' : 'stop', outputs: messages(answerContent(text, this.hits)) };
    } catch (err) {
      if (signal.aborted || !(err instanceof ChatFailure)) throw err;
      progress.failed({ name: GENERATOR_NAME, status: err.status, failure: err.failure, system: 'llm' });
      const fallback = extractiveText(this.hits, this.question);
      if (text === '') {
        progress.delta(fallback);
        return { finishReason: 'stop', outputs: messages(answerContent(fallback, this.hits)) };
      }
      return { finishReason: 'error', outputs: messages(answerContent(fallback, this.hits)) };
    }
  }
}
