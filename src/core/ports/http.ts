import { toCoreError, type CoreError } from '../errors.js';
import type { Logger } from './logger.js';

/** A framework-neutral HTTP request, as the gateway hands it to a protocol's route. */
export interface HttpRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly query: Readonly<Record<string, unknown>>;
  readonly params: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** `http(s)://host[:port]` at which clients of this request reach this server (the configured public URL, or the Host header). */
  readonly baseUrl: string;
}

export interface HttpReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One HTTP endpoint of a protocol; the gateway mounts it (under every API prefix). */
export interface Route {
  readonly method: 'GET' | 'POST';
  /** Path below the API prefix, with `:param` segments. */
  readonly path: string;
  readonly handle: (req: HttpRequest) => Promise<HttpReply>;
  /** The body is handed over as the raw text (the protocol parses it and reports bad JSON its own way). */
  readonly rawBody?: true;
  /**
   * The route checks the browser origin itself (per channel): the server-wide CORS allow-list does not
   * refuse it. The `origin` header is in `headers`.
   */
  readonly ownOrigins?: true;
}

/**
 * A route handler with one error boundary: a thrown `CoreError` becomes the protocol's error reply (`toReply`),
 * anything else an INTERNAL one, logged as `event` with the route's name.
 */
export function guardedRoute(
  log: Logger,
  event: string,
  toReply: (err: CoreError) => HttpReply,
): (name: string, fn: (req: HttpRequest) => Promise<HttpReply>) => (req: HttpRequest) => Promise<HttpReply> {
  return (name, fn) => async (req) => {
    try {
      return await fn(req);
    } catch (e) {
      const err = toCoreError(e);
      if (err.code === 'INTERNAL') log.error({ err: e, route: name }, event);
      return toReply(err);
    }
  };
}
