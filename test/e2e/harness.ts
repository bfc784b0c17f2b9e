import { createReadStream, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, connect, type Server as TcpServer, type Socket } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { chromium, type Browser, type ConsoleMessage, type Page, type Request, type Response, type WebSocket as PwWebSocket } from 'playwright-core';
import { mintDevJwt } from '../../src/auth/dev-jwt.js';
import type { DemoPageConfig } from '../../src/gateway/demo.js';
import { DEMO_BOT_ID, DEMO_BOT_NAME, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from '../../src/server/demo.js';
import { CHROMIUM } from '../support/services.js';

/**
 * End-to-end harness: a static "customer" web site on its own origin (the demo page and the real
 * kore-web-sdk bundle), a TCP proxy in front of the API (so a test can cut the network under the SDK),
 * and a headless Chromium.
 */

export const ROOT = resolve(import.meta.dirname, '../..');
const WEB_DEMO = join(ROOT, 'web', 'demo');
const SDK_DIST = join(ROOT, 'node_modules', 'kore-web-sdk', 'dist');
export const ARTEFACTS = join(ROOT, 'test-results', 'e2e');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.gif': 'image/gif',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** What the demo page is told (the same shape the server's own demo page gets). */
export type PageConfig = DemoPageConfig;

/** The customer's own JWT service (what `JWTUrl` points at in production), served by the site at `POST /sts`. */
export interface SiteSts {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly botId: string;
}

export interface Site {
  /** `http://127.0.0.1:<port>`: the page's origin. */
  readonly origin: string;
  /** Paths requested, in order (for evidence). */
  readonly requests: string[];
  close(): Promise<void>;
}

const listen = (server: HttpServer | TcpServer): Promise<number> =>
  new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      ok(typeof a === 'object' && a ? a.port : 0);
    });
  });

/** A file under `root` for the URL path `rel`, or null (no escaping the root). */
function fileUnder(root: string, rel: string): string | null {
  const path = normalize(join(root, decodeURIComponent(rel)));
  if (path !== root && !path.startsWith(root + sep)) return null;
  try {
    return statSync(path).isFile() ? path : null;
  } catch {
    return null;
  }
}

/**
 * The customer's web site: the demo page (web/demo/index.html, demo.js, bot-icon.svg), the SDK from
 * node_modules at /vendor/kore-web-sdk/, a /demo/config.js with what `config()` returns (read per
 * request, so the site can start before the API it points at) and, when `sts` is given, a same-origin
 * JWT service at `POST /sts`. No CORS headers: a plain page origin, different from the API's.
 */
export async function startSite(config: () => PageConfig, sts?: SiteSts): Promise<Site> {
  const index = readFileSync(join(WEB_DEMO, 'index.html'));
  const requests: string[] = [];
  const server = createHttpServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(`${req.method} ${req.url}`);
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method === 'POST' && path === '/sts' && sts) {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const identity = new URLSearchParams(raw).get('identity') ?? '';
        if (!identity) return send(400, 'application/json', JSON.stringify({ errors: [{ msg: 'identity is required' }] }));
        const app = { clientId: sts.clientId, name: 'site', clientSecret: sts.clientSecret, algorithms: ['HS256' as const], botIds: [sts.botId] };
        mintDevJwt({ app, identity }).then(
          (jwt) => send(200, 'application/json', JSON.stringify({ jwt })),
          (err: unknown) => send(500, 'application/json', JSON.stringify({ errors: [{ msg: String(err) }] })),
        );
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed');
    if (path === '/' || path === '/index.html') return send(200, TYPES['.html']!, index);
    if (path === '/demo/config.js') return send(200, TYPES['.js']!, `window.COLLOQUY_DEMO = ${JSON.stringify(config())};\n`);
    if (path === '/favicon.ico') return send(200, TYPES['.svg']!, readFileSync(join(WEB_DEMO, 'bot-icon.svg')));
    let file: string | null = null;
    if (path.startsWith('/demo/')) file = fileUnder(WEB_DEMO, path.slice('/demo/'.length));
    else if (path.startsWith('/vendor/kore-web-sdk/')) file = fileUnder(SDK_DIST, path.slice('/vendor/kore-web-sdk/'.length));
    if (!file) return send(404, 'text/plain', 'not found');
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  });
  server.keepAliveTimeout = 1000;
  const port = await listen(server);
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

export interface Proxy {
  /** `http://127.0.0.1:<port>`: the API origin as the browser sees it. */
  readonly origin: string;
  readonly port: number;
  /** Every HTTP request line that went through (`OPTIONS /api/rtm/start`, `GET /rtm/bot?sid=…`, …). */
  readonly requestLines: string[];
  /** Open connection pairs. */
  readonly open: number;
  /**
   * Extra latency (ms) on HTTP responses, not on WebSocket traffic: an HTTP answer then travels
   * slower than a socket frame sent at the same moment, as happens on real networks.
   */
  httpResponseDelayMs: number;
  /** Destroy every open connection (client and upstream side): a network drop. */
  cut(): void;
  /** New connections are accepted but their bytes held until {@link release}: the network is "down". */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

const REQUEST_LINE = /^((?:GET|POST|PUT|OPTIONS|HEAD|DELETE) \S+) HTTP\/1\.1\r$/gm;

/** A TCP proxy on its own port forwarding to `127.0.0.1:targetPort`. */
/** The page of a site that talks to Colloquy's demo bot and app through `proxy`. */
export const demoPage =
  (proxy: { readonly origin: string }) =>
  (): PageConfig => ({
    apiUrl: `${proxy.origin}/api/`,
    jwtUrl: `${proxy.origin}/demo/sts`,
    botId: DEMO_BOT_ID,
    botName: DEMO_BOT_NAME,
    clientId: DEMO_CLIENT_ID,
    clientSecret: DEMO_CLIENT_SECRET,
  });

export async function startProxy(targetPort: number): Promise<Proxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket | null }>();
  const requestLines: string[] = [];
  let held: (() => void)[] | null = null;

  const server = createTcpServer((client) => {
    const pair: { client: Socket; upstream: Socket | null } = { client, upstream: null };
    pairs.add(pair);
    client.on('error', () => {});
    client.on('close', () => {
      pair.upstream?.destroy();
      pairs.delete(pair);
    });
    const buffered: Buffer[] = [];
    let upgraded = false;
    const onData = (chunk: Buffer) => {
      // HTTP/1.1 request lines (keep-alive carries several per connection); none after a WS upgrade.
      if (!upgraded) {
        for (const m of chunk.toString('latin1').matchAll(REQUEST_LINE)) {
          requestLines.push(m[1]!);
          if (/^GET \/rtm\//.test(m[1]!)) upgraded = true;
        }
      }
      if (pair.upstream) pair.upstream.write(chunk);
      else buffered.push(chunk);
    };
    client.on('data', onData);
    const go = () => {
      if (client.destroyed) return;
      const upstream = connect({ port: targetPort, host: '127.0.0.1' });
      pair.upstream = upstream;
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => client.destroy());
      upstream.on('data', (c) => {
        const delay = upgraded ? 0 : proxy.httpResponseDelayMs;
        if (delay > 0) setTimeout(() => client.destroyed || client.write(c), delay);
        else client.write(c);
      });
      for (const b of buffered.splice(0)) upstream.write(b);
    };
    if (held) held.push(go);
    else go();
  });
  const port = await listen(server);
  const proxy: Proxy = {
    origin: `http://127.0.0.1:${port}`,
    port,
    requestLines,
    get open() {
      return pairs.size;
    },
    httpResponseDelayMs: 0,
    cut() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream?.destroy();
      }
      pairs.clear();
    },
    hold() {
      held ??= [];
    },
    release() {
      const waiting = held ?? [];
      held = null;
      for (const go of waiting) go();
    },
    close() {
      proxy.release();
      proxy.cut();
      return new Promise<void>((ok) => server.close(() => ok()));
    },
  };
  return proxy;
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const launchBrowser = (): Promise<Browser> => chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });

/** What a page did on the network and in its console, for assertions and for failure reports. */
export interface Recorder {
  readonly console: string[];
  readonly pageErrors: string[];
  /** `METHOD url -> status` (or `-> FAILED reason`) of every request the page made to the API origin. */
  readonly api: string[];
  /** The responses themselves (headers included) of the API-origin requests. */
  readonly responses: Response[];
  readonly sockets: { url: string; sent: string[]; received: string[]; closed: boolean }[];
  dump(): string;
}

export function record(page: Page, apiOrigin: string): Recorder {
  const rec: Recorder = {
    console: [],
    pageErrors: [],
    api: [],
    responses: [],
    sockets: [],
    dump() {
      return [
        `console:\n  ${rec.console.join('\n  ')}`,
        `page errors:\n  ${rec.pageErrors.join('\n  ')}`,
        `api requests:\n  ${rec.api.join('\n  ')}`,
        `websockets:\n  ${rec.sockets.map((s) => `${s.url}${s.closed ? ' (closed)' : ''}\n    <- ${s.received.join('\n    <- ')}\n    -> ${s.sent.join('\n    -> ')}`).join('\n  ')}`,
      ].join('\n');
    },
  };
  const mine = (r: Request) => r.url().startsWith(apiOrigin);
  page.on('console', (m: ConsoleMessage) => rec.console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => rec.pageErrors.push(String(e)));
  page.on('response', (r) => {
    if (mine(r.request())) rec.responses.push(r);
  });
  page.on('requestfinished', (r) => {
    if (!mine(r)) return;
    void r.response().then((res) => rec.api.push(`${r.method()} ${r.url()} -> ${res?.status() ?? '?'}`));
  });
  page.on('requestfailed', (r) => {
    if (mine(r)) rec.api.push(`${r.method()} ${r.url()} -> FAILED ${r.failure()?.errorText ?? ''}`);
  });
  page.on('websocket', (ws: PwWebSocket) => {
    const s = { url: ws.url(), sent: [] as string[], received: [] as string[], closed: false };
    rec.sockets.push(s);
    ws.on('framesent', (f) => s.sent.push(String(f.payload)));
    ws.on('framereceived', (f) => s.received.push(String(f.payload)));
    ws.on('close', () => (s.closed = true));
  });
  return rec;
}

/** Remove this test file's screenshots of earlier runs (names starting with `prefix`). */
export function clearArtefacts(prefix: string): void {
  mkdirSync(ARTEFACTS, { recursive: true });
  for (const f of readdirSync(ARTEFACTS)) if (f.startsWith(prefix)) rmSync(join(ARTEFACTS, f), { force: true });
}

/** Save a screenshot as test-results/e2e/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTEFACTS, { recursive: true });
  // Let the typing dots of the last exchange fade (they are hidden as a bot message renders).
  await page.locator('.typingIndicatorContent').waitFor({ state: 'hidden', timeout: 1000 }).catch(() => {});
  await page.screenshot({ path: join(ARTEFACTS, `${name}.png`) });
}

// ---------------------------------------------------------------------------------------------------
// The widget as a user sees it. Selectors were taken from the DOM the real SDK renders:
// `ul.chat-container > li` per message (`li.fromCurrentUser` for the user, `li.fromOtherUsers` for the
// bot; templates nest their own <li>s, hence the `>`), `.chatInputBox` (a contenteditable div) for
// the compose box, and `.kore-chat-footer.disableFooter` while the SDK freezes the footer.
// ---------------------------------------------------------------------------------------------------

export const MESSAGES = '.chat-container > li';
export const USER_BUBBLES = '.chat-container > li.fromCurrentUser';
export const BOT_BUBBLES = '.chat-container > li.fromOtherUsers';
/** The demo IT helpdesk's welcome (bots/helpdesk/flows/welcome.yaml). */
export const WELCOME = "Hi! I'm the Colloquy IT helpdesk.";

export interface Bubble {
  readonly id: string;
  readonly who: 'user' | 'bot' | 'other';
  /** Visible text without the timestamp line, whitespace collapsed. */
  readonly text: string;
}

/** Every message bubble in the chat window, top to bottom. */
export function bubbles(page: Page): Promise<Bubble[]> {
  // Runs in the page; typed loosely because this project's tsconfig has no DOM lib.
  return page.locator(MESSAGES).evaluateAll((els: any[]) =>
    els.map((el) => {
      const copy = el.cloneNode(true);
      for (const x of copy.querySelectorAll('.extra-info')) x.remove();
      const cls: string = el.className;
      return {
        id: String(el.id),
        who: cls.includes('fromCurrentUser') ? 'user' : cls.includes('fromOtherUsers') ? 'bot' : 'other',
        text: String(copy.textContent).replace(/\s+/g, ' ').trim(),
      };
    }),
  ) as Promise<Bubble[]>;
}

/** Wait until a bubble of `who` containing `text` is in the chat window. */
export async function waitForBubble(page: Page, who: 'user' | 'bot', text: string, timeout = 10_000): Promise<void> {
  await page.locator(who === 'user' ? USER_BUBBLES : BOT_BUBBLES, { hasText: text }).first().waitFor({ state: 'attached', timeout });
}

/** Write into the compose box and press Enter, like a user. */
export async function say(page: Page, text: string): Promise<void> {
  const box = page.locator('.chatInputBox');
  await box.fill(text);
  await box.press('Enter');
}

/** The bot_response frames a socket received, parsed. */
export const botFrames = (socket: { received: string[] }): any[] =>
  socket.received.map((f) => JSON.parse(f)).filter((f) => f.type === 'bot_response');

/** Text of a bot_response frame as the SDK shows it (`cInfo.body`). */
export const frameText = (f: any): string => String(f.message?.[0]?.cInfo?.body ?? '');

/**
 * In-page timeline of the SDK's XHR loads and WebSocket events (performance.now() ms), installed with
 * `page.addInitScript(TRACE_SCRIPT)` before the page loads; read with `page.evaluate('window.__e2eTrace')`.
 * It only observes: the SDK gets the browser's own XMLHttpRequest and WebSocket objects.
 */
export const TRACE_SCRIPT = `(() => {
  const trace = (window.__e2eTrace = []);
  const at = (m) => trace.push(Math.round(performance.now()) + 'ms ' + m);
  const open = XMLHttpRequest.prototype.open;
  XMLHttpRequest.prototype.open = function (method, url) {
    this.addEventListener('loadend', () => at('xhr ' + method + ' ' + String(url).replace(/^https?:\\/\\/[^/]+/, '').split('?')[0] + ' -> ' + this.status + ' (' + String(this.responseText).length + ' bytes)'));
    return open.apply(this, arguments);
  };
  const Native = window.WebSocket;
  const Traced = function (url, protocols) {
    const ws = protocols === undefined ? new Native(url) : new Native(url, protocols);
    at('ws new ' + String(url).replace(/sid=[^&]+/, 'sid=…'));
    ws.addEventListener('open', () => at('ws open'));
    ws.addEventListener('close', (e) => at('ws close ' + e.code));
    ws.addEventListener('message', (e) => {
      let f = {};
      try { f = JSON.parse(e.data); } catch {}
      // The text a bubble shows: cInfo.body, or for a template (its JSON) the template's own text.
      let shown = String(f.message && f.message[0] && f.message[0].cInfo && f.message[0].cInfo.body);
      try { const m = JSON.parse(shown); shown = (m && m.payload && (m.payload.text || m.payload.heading)) || shown; } catch {}
      at('ws frame ' + f.type + (f.type === 'bot_response' ? ' ' + JSON.stringify(shown.slice(0, 40)) : ''));
    });
    return ws;
  };
  Traced.prototype = Native.prototype;
  for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) Traced[k] = Native[k];
  window.WebSocket = Traced;
})();`;

/**
 * Has the SDK finished with the welcome? True once the page (traced with {@link TRACE_SCRIPT}) has
 * received the welcome frame and the SDK holds nothing back any more: history loaded, its delayed-render
 * queue (drained every 500 ms) empty. The welcome is then either rendered or lost for good (reference
 * §B.7: a frame queued during an empty history load is never flushed). Reads the SDK's state through
 * `window.chatWindowInstance` (set by demo.js); observation only.
 */
export const welcomeSettled = async (page: Page): Promise<boolean> =>
  (await page.evaluate(`(() => {
    const trace = window.__e2eTrace || [];
    const got = trace.some((l) => l.includes('ws frame bot_response') && l.includes(${JSON.stringify(JSON.stringify(WELCOME).slice(1, 20))}));
    const w = window.chatWindowInstance;
    return !!(got && w && !w.historyLoading && !(w.renderMessagesQueue || []).length && !w.msgRenderingProgress);
  })()`)) === true;

/** Is the compose footer frozen (the SDK's `disableFooter`, reference §A.1/§A.2 step 6)? */
export const footerFrozen = async (page: Page): Promise<boolean> => (await page.locator('.kore-chat-footer.disableFooter').count()) > 0;

/** Wait (polling the DOM) until `check` holds; throws with `describe()` after `timeout`. */
export async function until(check: () => Promise<boolean>, timeout: number, describe: () => string | Promise<string>): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms: ${await describe()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
