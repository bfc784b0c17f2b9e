import { CoreError } from '../../core/errors.js';
import type { ConversationRef } from '../../core/model.js';
import type { HttpReply, HttpRequest, Route } from '../../core/ports/http.js';
import type { Capabilities } from './decode.js';
import { PROTOCOL_VERSION, statusText, type Frame, type FrameView } from './encode.js';
import { Binding, type AiseraClient, type AiseraHandler, type AiseraRuntime } from './handler.js';
import { seenOf } from './liveagent.js';
import { AiseraTokens, CHANNEL_KEY_PREFIX, TokenCache } from './tokens.js';

/** How long a REST call waits for its request's final frame. */
const FINAL_WAIT_MS = 10_000;
const HEADERS = { 'x-conversation-protocol': PROTOCOL_VERSION };

const header = (req: HttpRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};
const bearerOf = (req: HttpRequest): string | undefined => /^Bearer\s+(\S+)$/i.exec(header(req, 'authorization') ?? '')?.[1];

/** The Aisera error body (the documented Error Response, plus our machine code). */
export function errorReply(err: CoreError, errors: readonly { path: string; message: string }[] = [], reqId: unknown = null): HttpReply {
  const code = err.spec.http;
  return {
    status: code,
    headers: HEADERS,
    body: { code, error: statusText(code), errors: errors.length > 0 ? errors : [{ path: '$', message: err.message }], errorCode: err.code, reqId },
  };
}

/** One REST call as a client of the handler: collects its frames, and knows when the request is answered. */
class RestCall implements AiseraClient {
  readonly deviceId = 'd-aisera-rest';
  readonly tokens = new TokenCache(1);
  readonly frames: Frame[] = [];
  warnings: readonly string[] = [];
  private binding: Binding | undefined;
  private settled: (() => void) | undefined;

  constructor(
    private readonly rt: AiseraRuntime,
    readonly origin: string | undefined,
    readonly agentOnly = false,
  ) {}

  async follow(conv: ConversationRef, view: FrameView, only?: { readonly streamInProgress: true }): Promise<void> {
    if (only) return;
    const snap = await this.rt.store.getState(conv.id);
    this.binding = new Binding(
      `rest:${Math.random().toString(36).slice(2)}`,
      conv.id,
      view,
      (frames) => {
        for (const f of frames) this.take(JSON.parse(f) as Frame);
      },
      seenOf(snap.value.handoff),
    );
    this.rt.hub.attach(this.binding, snap.headSeq);
  }

  reply(frame: Frame): void {
    this.take(frame);
  }

  warn(_reqId: unknown, warnings: readonly string[]): void {
    this.warnings = warnings;
  }

  capabilities(_conversationId: string, declared: Capabilities | undefined): Capabilities {
    // Never streamed over REST: the answer is one ordinary frame.
    return { ...declared, isStreamingSupported: false };
  }

  /** Wait (bounded) for the final frame of `reqId`, then stop following. */
  async finish(reqId: unknown): Promise<void> {
    if (!this.hasFinal(reqId)) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, FINAL_WAIT_MS);
        this.settled = () => {
          if (!this.hasFinal(reqId)) return;
          clearTimeout(t);
          resolve();
        };
      });
    }
    if (this.binding) this.rt.hub.detach(this.binding);
  }

  private take(frame: Frame): void {
    this.frames.push(frame);
    this.settled?.();
  }

  private hasFinal(reqId: unknown): boolean {
    return this.frames.some((f) => f.final && f.reqId === reqId);
  }
}

/** The request's `data.reqId` as the handler will echo it (null when it cannot be read). */
function reqIdOf(text: string): string | number | null {
  try {
    const id = (JSON.parse(text) as { data?: { reqId?: unknown } } | null)?.data?.reqId;
    return typeof id === 'string' || Number.isSafeInteger(id) ? (id as string | number) : null;
  } catch {
    return null;
  }
}

/**
 * REST: `POST /api/receive` (the Conversation API: one request, its frames in one reply),
 * `POST /api/liveagent/events` (the same for live-agent connectors, agent tokens only) and
 * `POST /api/token` (a user or agent token, minted with a channel key).
 */
export function aiseraRoutes(rt: AiseraRuntime, handler: AiseraHandler, maxTtlSec: number): Route[] {
  /** `receive`, or (`agentOnly`) the contact-centre connectors' webhook: the same envelope, agent tokens only. */
  const receiving = (path: string, agentOnly: boolean): Route => ({
    method: 'POST',
    path,
    rawBody: true,
    ownOrigins: true,
    async handle(req) {
      const text = typeof req.body === 'string' ? req.body : JSON.stringify(req.body ?? null);
      let parsed: unknown = text;
      const bearer = bearerOf(req);
      if (bearer !== undefined) {
        // The header stands for the body's token; both present must agree.
        try {
          const body = JSON.parse(text) as unknown;
          if (body && typeof body === 'object' && !Array.isArray(body)) {
            const b = body as Record<string, unknown>;
            if (b['token'] !== undefined && b['token'] !== bearer) return errorReply(new CoreError('CONFLICTING_REQUEST'), [{ path: 'token', message: 'differs from the Authorization header' }]);
            parsed = { ...b, token: bearer };
          }
        } catch {
          // Not JSON: the handler says so.
        }
      }
      const reqId = reqIdOf(text);
      const call = new RestCall(rt, header(req, 'origin'), agentOnly);
      await handler.handle(parsed, call);
      await call.finish(reqId);
      // Only this request's frames (another connection of the user may be talking meanwhile); its warnings on the final one.
      const frames = call.frames.filter((f) => f.reqId === reqId).map((f) => (f.final && call.warnings.length > 0 ? { ...f, warnings: [...call.warnings] } : f));
      const refused = frames.find((f) => f.modeType === 'Error');
      if (refused) {
        return { status: refused.code ?? 400, headers: HEADERS, body: { code: refused.code, error: refused.error, errors: refused.errors, errorCode: refused.errorCode, reqId: refused.reqId } };
      }
      const last = frames.at(-1);
      return {
        status: 200,
        headers: HEADERS,
        body: {
          reqId,
          sessionId: last?.sessionId ?? null,
          userId: last?.userId ?? null,
          channelId: last?.channelId ?? null,
          final: frames.some((f) => f.final),
          pending: false,
          answers: frames.flatMap((f) => f.answers),
          responses: frames,
          ...(call.warnings.length > 0 ? { warnings: call.warnings } : {}),
        },
      };
    },
  });

  const token: Route = {
    method: 'POST',
    path: 'token',
    ownOrigins: true,
    async handle(req) {
      const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
      const key = bearerOf(req);
      if (key === undefined || !key.startsWith(CHANNEL_KEY_PREFIX)) return errorReply(new CoreError('TOKEN_MISSING'), [{ path: 'Authorization', message: 'a channel key is required (Bearer ck_…)' }]);
      const channelId = body['channelId'];
      const userId = body['userId'];
      if (typeof channelId !== 'string' || channelId === '') return errorReply(new CoreError('INVALID_REQUEST'), [{ path: 'channelId', message: 'is required' }]);
      if (typeof userId !== 'string' || userId === '' || userId.length > 256) return errorReply(new CoreError('INVALID_REQUEST'), [{ path: 'userId', message: 'is required (1–256 characters)' }]);
      const channel = await rt.directory.channel(channelId);
      if (!channel) return errorReply(new CoreError('CHANNEL_NOT_FOUND'), [{ path: 'channelId', message: 'no channel has this id' }]);
      if (!AiseraTokens.keyOpens(key, channel)) return errorReply(new CoreError('TOKEN_INVALID'), [{ path: 'Authorization', message: 'is not a key of this channel' }]);
      const scope = body['scope'] === 'agent' ? 'agent' : body['scope'] === undefined || body['scope'] === 'user' ? 'user' : null;
      if (scope === null) return errorReply(new CoreError('INVALID_REQUEST'), [{ path: 'scope', message: 'must be "user" or "agent"' }]);
      const ttl = body['ttlSec'] === undefined ? maxTtlSec : Number(body['ttlSec']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > maxTtlSec) return errorReply(new CoreError('INVALID_REQUEST'), [{ path: 'ttlSec', message: `must be a whole number of seconds, 1–${maxTtlSec}` }]);
      const email = typeof body['userEmail'] === 'string' ? body['userEmail'] : undefined;
      const name = typeof body['userFullName'] === 'string' ? body['userFullName'] : undefined;
      const minted = await rt.tokens.mint({ channelId, userId, scope, ttlSec: ttl, ...(email ? { email } : {}), ...(name ? { name } : {}) });
      return { status: 200, headers: HEADERS, body: { token: minted.token, expiresAt: new Date(minted.expiresAt).toISOString(), channelId, userId, scope } };
    },
  };
  return [receiving('receive', false), receiving('liveagent/events', true), token];
}
