import { SseParser } from './sse.js';

/**
 * A client of an OpenAI-compatible chat-completions endpoint, streaming: `POST {baseUrl}/chat/completions`
 * with `stream: true`, read as server-sent events of `chat.completion.chunk` objects until `data: [DONE]`.
 */

export interface ChatSettings {
  /** e.g. `https://api.example.com/v1` (the path `/chat/completions` is appended). */
  readonly baseUrl: string;
  readonly model: string;
  readonly apiKey: string;
  /** The whole answer must arrive within this time. */
  readonly timeoutMs: number;
}

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** Why a call failed, in the terms of a `service_failed` event. */
export class ChatFailure extends Error {
  constructor(
    readonly failure: 'timeout' | 'network' | 'status',
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type ChatFinish = 'stop' | 'length' | 'other';

interface ChunkObject {
  readonly choices?: readonly { readonly delta?: { readonly content?: string | null }; readonly finish_reason?: string | null }[];
}

/**
 * Stream a completion: `onDelta` gets each piece of text; resolves with the finish reason. Rejects with a
 * {@link ChatFailure}, or with the abort reason when `signal` aborts (the user moved on).
 */
export async function streamChat(settings: ChatSettings, messages: readonly ChatMessage[], onDelta: (text: string) => void, signal: AbortSignal): Promise<ChatFinish> {
  const timeout = AbortSignal.timeout(settings.timeoutMs);
  const both = AbortSignal.any([signal, timeout]);
  const fail = (err: unknown): never => {
    if (signal.aborted) throw signal.reason;
    if (timeout.aborted) throw new ChatFailure('timeout', 0, `no complete answer within ${settings.timeoutMs} ms`);
    if (err instanceof ChatFailure) throw err;
    throw new ChatFailure('network', 0, err instanceof Error ? err.message : String(err));
  };
  let res: Response;
  try {
    res = await fetch(`${settings.baseUrl.replace(/\/+$/, '')}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${settings.apiKey}` },
      body: JSON.stringify({ model: settings.model, messages, stream: true }),
      signal: both,
    });
  } catch (err) {
    return fail(err);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => {});
    throw new ChatFailure('status', res.status, `the endpoint answered ${res.status}`);
  }
  const parser = new SseParser();
  const decoder = new TextDecoder();
  let finish: ChatFinish | undefined;
  try {
    for await (const bytes of res.body as AsyncIterable<Uint8Array>) {
      for (const data of parser.push(decoder.decode(bytes, { stream: true }))) {
        if (data === '[DONE]') return finish ?? 'stop';
        const chunk = JSON.parse(data) as ChunkObject;
        const choice = chunk.choices?.[0];
        const text = choice?.delta?.content;
        if (text) onDelta(text);
        if (choice?.finish_reason) finish = choice.finish_reason === 'stop' ? 'stop' : choice.finish_reason === 'length' ? 'length' : 'other';
      }
    }
  } catch (err) {
    return fail(err);
  }
  if (finish) return finish;
  return fail(new Error('the stream ended without [DONE]'));
}
