import type { AccessClaims, AccessTokens } from '../../auth/access-token.js';
import { bearer } from '../../auth/access-token.js';
import type { AssertionVerifier } from '../../auth/assertion.js';
import type { Gate } from '../../auth/gate.js';
import type { Tickets } from '../../auth/tickets.js';
import { CoreError, toCoreError } from '../../core/errors.js';
import { conversationIdFor, newDeviceId, userIdFor } from '../../core/ids.js';
import type { Clock } from '../../core/ports/clock.js';
import type { Directory } from '../../core/ports/directory.js';
import { guardedRoute, type HttpReply, type HttpRequest, type Route } from '../../core/ports/http.js';
import type { Logger } from '../../core/ports/logger.js';
import type { ConversationStore } from '../../core/ports/store.js';
import { historyMessage } from './history.js';

export interface KoreHttpDeps {
  readonly verifier: AssertionVerifier;
  readonly tokens: AccessTokens;
  readonly tickets: Tickets;
  readonly directory: Directory;
  readonly gate: Gate;
  readonly store: ConversationStore;
  readonly clock: Clock;
  readonly log: Logger;
  /**
   * A device asks for its history: its pending welcome is stored first, so the answer contains it
   * (reference §B.7). Resolves when that is done.
   */
  readonly beforeHistory: (claims: AccessClaims) => Promise<void>;
}

const HISTORY_DEFAULT_LIMIT = 10;
/** A slow bot must not hold the history answer (and the SDK's disabled compose box) for long. */
const WELCOME_WAIT_MS = 2000;

const withTimeout = (p: Promise<void>, ms: number): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    p.finally(() => {
      clearTimeout(t);
      resolve();
    }).catch(() => {});
  });
const HISTORY_MAX_LIMIT = 100;

/** Kore error body: the Web SDK shows `errors[0].msg`. */
export function errorReply(err: CoreError): HttpReply {
  // The Kore Web SDK 10.1 re-sends a 429 in a tight loop (it cannot read Retry-After), so rate limits
  // are answered with 403 and an `error` that stops its reconnect loop (docs/protocols/kore.md).
  if (err.code === 'RATE_LIMITED') {
    const retryAfterMs = Number(err.data?.['retryAfterMs'] ?? 0);
    return reply(403, {
      errors: [{ msg: `${err.message} Try again in ${Math.ceil(retryAfterMs / 1000)} s.`, code: err.code }],
      error: 'account_inactive',
    });
  }
  const body: Record<string, unknown> = { errors: [{ msg: err.message, code: err.code }] };
  return reply(err.spec.http, body);
}

const reply = (status: number, body: unknown): HttpReply => ({ status, body });

/** Bot icons may be configured relative to this server; clients on other origins need them absolute. */
export const absoluteUrl = (url: string, base: string): string => {
  try {
    return new URL(url, `${base}/`).href;
  } catch {
    return url;
  }
};

const header = (req: HttpRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const botIdOf = (body: unknown): string | undefined => {
  if (typeof body !== 'object' || body === null) return undefined;
  const info = (body as Record<string, unknown>)['botInfo'];
  if (typeof info !== 'object' || info === null) return undefined;
  const id = (info as Record<string, unknown>)['taskBotId'];
  return typeof id === 'string' && id.length > 0 ? id : undefined;
};

const intParam = (v: unknown, fallback: number): number | CoreError => {
  if (v === undefined || v === '') return fallback;
  const n = typeof v === 'string' ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : new CoreError('BAD_REQUEST', 'offset, skip and limit must be non-negative integers.');
};

/** The Kore.ai XO "WebSocket Connect & RTM" HTTP surface (reference §A, §E). */
export function koreRoutes(deps: KoreHttpDeps): Route[] {
  const guarded = guardedRoute(deps.log, 'kore.http_failed', errorReply);

  const jwtgrant = async (req: HttpRequest): Promise<HttpReply> => {
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
    const botId = botIdOf(body);
    if (!botId) throw new CoreError('BAD_REQUEST', '"botInfo.taskBotId" is required.');
    const verified = await deps.verifier.verify(body['assertion']);
    const bot = await deps.directory.bot(botId);
    if (!bot) throw new CoreError('BOT_NOT_FOUND');
    if (!verified.app.botIds.includes(botId)) throw new CoreError('BOT_NOT_ALLOWED');
    const userId = userIdFor(verified.identity);
    await deps.gate.admit(botId, userId);
    const issued = await deps.tokens.issue({
      userId,
      botId,
      clientId: verified.app.clientId,
      deviceId: newDeviceId(),
      identity: verified.identity,
    });
    return reply(200, {
      authorization: {
        accessToken: issued.token,
        token_type: 'bearer',
        expiresDate: new Date(issued.expiresAt).toISOString(),
        issuedDate: new Date(issued.issuedAt).toISOString(),
      },
      userInfo: {
        userId,
        accountId: verified.app.clientId,
        orgId: botId,
        identity: `${verified.app.clientId}/${verified.identity}`,
        enrollType: verified.isAnonymous ? 'anonymous' : 'free',
        managedBy: verified.app.clientId,
        fName: '',
        lName: '',
      },
    });
  };

  const rtmStart = async (req: HttpRequest): Promise<HttpReply> => {
    let claims;
    try {
      claims = await deps.tokens.verify(bearer(header(req, 'authorization')));
    } catch (e) {
      const err = toCoreError(e);
      // TOKEN_EXPIRED makes the Web SDK re-authenticate; anything else about the token stops its reconnect loop.
      if (err.code === 'TOKEN_EXPIRED') return reply(401, { errors: [{ msg: 'token expired', code: 'TOKEN_EXPIRED' }] });
      return reply(401, { errors: [{ msg: err.message, code: err.code }], error: 'invalid_auth' });
    }
    const botId = botIdOf(req.body);
    if (botId !== undefined && botId !== claims.botId) throw new CoreError('BOT_NOT_ALLOWED');
    try {
      await deps.gate.admit(claims.botId, claims.userId);
    } catch (e) {
      const err = toCoreError(e);
      if (err.code === 'RATE_LIMITED') return errorReply(err);
      return reply(err.spec.http, { errors: [{ msg: err.message, code: err.code }], error: 'account_inactive' });
    }
    const sid = await deps.tickets.mint(claims);
    return reply(200, { url: `${req.baseUrl.replace(/^http/, 'ws')}/rtm/bot?sid=${sid}` });
  };

  const history = async (req: HttpRequest): Promise<HttpReply> => {
    const claims = await deps.tokens.verify(bearer(header(req, 'authorization')));
    const botId = req.query['botId'];
    if (typeof botId !== 'string' || botId.length === 0) throw new CoreError('BAD_REQUEST', '"botId" is required.');
    if (botId !== claims.botId) throw new CoreError('BOT_NOT_ALLOWED');
    const offset = intParam(req.query['offset'] ?? req.query['skip'], 0);
    const limit = intParam(req.query['limit'], HISTORY_DEFAULT_LIMIT);
    if (offset instanceof CoreError) throw offset;
    if (limit instanceof CoreError) throw limit;
    if (offset === 0) await withTimeout(deps.beforeHistory(claims), WELCOME_WAIT_MS);
    const page = await deps.store.readMessages(conversationIdFor(botId, claims.userId), {
      offset,
      limit: Math.min(limit, HISTORY_MAX_LIMIT),
    });
    const bot = await deps.directory.bot(botId);
    const messages = page.entries.flatMap((e) => historyMessage(e, botId, claims.userId) ?? []);
    return reply(200, {
      total: page.total,
      moreAvailable: offset + page.entries.length < page.total,
      messages,
      ...(bot?.icon !== undefined ? { icon: absoluteUrl(bot.icon, req.baseUrl) } : {}),
    });
  };

  const theme = async (req: HttpRequest): Promise<HttpReply> => {
    await deps.tokens.verify(bearer(header(req, 'authorization')));
    const bot = await deps.directory.bot(req.params['botId'] ?? '');
    if (!bot) throw new CoreError('BOT_NOT_FOUND');
    return reply(200, bot.theme ? { activeTheme: true, ...bot.theme } : { activeTheme: false });
  };

  return [
    { method: 'POST', path: 'oAuth/token/jwtgrant', handle: guarded('jwtgrant', jwtgrant) },
    { method: 'POST', path: 'rtm/start', handle: guarded('rtm.start', rtmStart) },
    { method: 'GET', path: 'botmessages/rtm', handle: guarded('history', history) },
    { method: 'GET', path: 'websdkthemes/:botId/activetheme', handle: guarded('theme', theme) },
  ];
}
