import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, connect, type Server as TcpServer, type Socket } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { mintDevJwt } from '../../src/auth/dev-jwt.js';
import type { DemoPageConfig } from '../../src/gateway/demo.js';
import { DEMO_BOT_ID, DEMO_BOT_NAME, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from '../../src/server/demo.js';

/**
 * The end-to-end tests' network: a static "customer" web site on its own origin (the demo page and the real
 * kore-web-sdk bundle) and a TCP proxy in front of the API (so a test can cut the network under the SDK).
 * The browser side is in harness.ts.
 */

export const ROOT = resolve(import.meta.dirname, '../..');
const WEB_DEMO = join(ROOT, 'web', 'demo');
const SDK_DIST = join(ROOT, 'node_modules', 'kore-web-sdk', 'dist');

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
