/**
 * A small OpenAI-compatible chat-completions server for tests (the only test double here: it stands in for a
 * paid external API). `POST /v1/chat/completions` with `stream: true` answers as the real API documents:
 * `text/event-stream`, one `data: {json}\n\n` per `chat.completion.chunk` (the first carries the role, then
 * `choices[0].delta.content` pieces, the last an empty delta with `finish_reason`), then `data: [DONE]\n\n`.
 * Without `stream: true` it answers one `chat.completion` object. A wrong key gets 401 with the API's error shape.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeLlmBehaviour {
  /** The answer, in the pieces it is streamed in. */
  tokens: string[];
  /** Pause before each piece, ms. */
  delayMs: number;
  finishReason: 'stop' | 'length';
  /** Answer this HTTP status with an error body instead. */
  status?: number;
  /** Never answer (a timeout). */
  hang?: boolean;
  /** Drop the connection after this many pieces (a failure mid-stream). */
  dropAfter?: number;
}

export interface SeenRequest {
  readonly authorization: string | undefined;
  readonly body: { model: string; messages: { role: string; content: string }[]; stream?: boolean };
  /** The client went away before the answer was complete (it aborted). */
  aborted: boolean;
  completed: boolean;
}

export const FAKE_LLM_KEY = 'sk-test-0123456789abcdef';
export const FAKE_LLM_MODEL = 'test-model-1';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class FakeLlm {
  readonly requests: SeenRequest[] = [];
  behaviour: FakeLlmBehaviour = { tokens: ['Hello', ' world'], delayMs: 0, finishReason: 'stop' };
  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeLlm> {
    const server = createServer();
    const fake = new FakeLlm(server);
    server.on('request', (req, res) => void fake.handle(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return fake;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const c of req) raw += String(c);
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return json(res, 404, { error: { message: 'Not found', type: 'invalid_request_error', param: null, code: null } });
    const seen: SeenRequest = { authorization: req.headers.authorization, body: JSON.parse(raw) as SeenRequest['body'], aborted: false, completed: false };
    this.requests.push(seen);
    res.on('close', () => {
      if (!res.writableFinished) seen.aborted = true;
    });
    if (req.headers.authorization !== `Bearer ${FAKE_LLM_KEY}`) {
      return json(res, 401, { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
    }
    const b = this.behaviour;
    if (b.hang) return;
    if (b.status) return json(res, b.status, { error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } });
    const id = `chatcmpl-${Math.random().toString(36).slice(2)}`;
    const created = Math.floor(Date.now() / 1000);
    const model = seen.body.model;
    if (seen.body.stream !== true) {
      seen.completed = true;
      return json(res, 200, {
        id, object: 'chat.completion', created, model,
        choices: [{ index: 0, message: { role: 'assistant', content: b.tokens.join('') }, logprobs: null, finish_reason: b.finishReason }],
        usage: { prompt_tokens: 10, completion_tokens: b.tokens.length, total_tokens: 10 + b.tokens.length },
      });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const chunk = (delta: Record<string, unknown>, finish: string | null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: null, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
    res.write(chunk({ role: 'assistant', content: '' }, null));
    for (let i = 0; i < b.tokens.length; i++) {
      if (b.dropAfter !== undefined && i === b.dropAfter) {
        // The connection ends without the rest of the chunked body: what a crashed upstream looks like.
        res.socket?.end();
        return;
      }
      if (b.delayMs > 0) await sleep(b.delayMs);
      if (res.destroyed) return;
      res.write(chunk({ content: b.tokens[i] }, null));
    }
    res.write(chunk({}, b.finishReason));
    res.write('data: [DONE]\n\n');
    seen.completed = true;
    res.end();
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
