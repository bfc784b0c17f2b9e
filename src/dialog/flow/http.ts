import type { HttpNodeDef } from '../definition/schema.js';
import { fits, type Frame } from './state.js';
import { Deferred, type ServiceCaller, type ServiceRequest, type ServiceResponse, type Turn } from './turn.js';

/**
 * The HTTP service node: a templated request (secrets allowed in the URL, headers and body), a timeout,
 * the answer saved as `{status, ok, body}`, and an error branch for network errors, timeouts and non-2xx
 * answers. Logs say which service answered how fast — never headers, bodies or query strings.
 */

const MAX_BODY_CHARS = 64 * 1024;
const DEFAULT_TIMEOUT_MS = 5000;

/** Calls out with the platform's `fetch`: bounded by the timeout, the answer read up to a size limit. */
export const fetchCaller: ServiceCaller = {
  async call(req: ServiceRequest): Promise<ServiceResponse> {
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
      signal: AbortSignal.timeout(req.timeoutMs),
      redirect: 'error',
    });
    const text = (await res.text()).slice(0, MAX_BODY_CHARS);
    let body: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json')) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    return { status: res.status, body };
  },
};

/** Where a URL points, for logs: origin and path, without the query (which may carry secrets). */
const where = (url: string): string => {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
};

/**
 * Run an HTTP node: the node to go to next, or `failed` when the call failed and there is no error branch
 * (then the user hears `messages.serviceError` and the `service_failed` event names the node, for
 * channels that report such failures).
 */
export async function runHttp(turn: Turn, frame: Frame, id: string, def: HttpNodeDef, next: string): Promise<string | { failed: true }> {
  if (turn.inline) throw new Deferred();
  const method = def.method ?? (def.body !== undefined ? 'POST' : 'GET');
  const url = new URL(String(turn.renderValue(def.url, frame, true)));
  for (const [k, v] of Object.entries(def.query ?? {})) url.searchParams.set(k, String(turn.renderValue(v, frame, true) ?? ''));
  const headers: Record<string, string> = { accept: 'application/json' };
  for (const [k, v] of Object.entries(def.headers ?? {})) headers[k.toLowerCase()] = String(turn.renderValue(v, frame, true) ?? '');
  let body: string | undefined;
  if (def.body !== undefined) {
    body = JSON.stringify(turn.renderValue(def.body, frame, true));
    headers['content-type'] ??= 'application/json';
  }
  const started = turn.services.now();
  const log = { flow: frame.flow, run: frame.run, method, service: where(url.href) };
  let result: { status: number; ok: boolean; body: unknown; error?: string };
  try {
    const res = await turn.services.http.call({ method, url: url.href, headers, ...(body !== undefined ? { body } : {}), timeoutMs: def.timeoutMs ?? DEFAULT_TIMEOUT_MS });
    const ok = res.status >= 200 && res.status < 300;
    result = { status: res.status, ok, body: fits(res.body) ? res.body : null };
    turn.services.log.info({ ...log, status: res.status, ms: turn.services.now() - started }, 'dialog.http');
  } catch (err) {
    const timeout = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
    result = { status: 0, ok: false, body: null, error: timeout ? 'timeout' : 'network' };
    turn.services.log.warn({ ...log, error: result.error, ms: turn.services.now() - started }, 'dialog.http_failed');
  }
  if (def.save) turn.assign(frame, def.save, result);
  if (result.ok) return next;
  if (def.onError) return def.onError;
  turn.event('service_failed', { service: { name: `${frame.flow}.${id}`, status: result.status, failure: (result.error as 'timeout' | 'network' | undefined) ?? 'status' } });
  turn.text(turn.message('serviceError', frame));
  return { failed: true };
}
