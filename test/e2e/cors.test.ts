import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { KoreClient } from '../support/kore-client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { hasChromium, need } from '../support/services.js';
import {
  bubbles,
  clearArtefacts,
  footerFrozen,
  launchBrowser,
  record,
  say,
  screenshot,
  until,
  waitForBubble,
  type Recorder,
} from './harness.js';
import { startSite, type Site } from './sites.js';

/**
 * A server configured with an explicit CORS allow-list (a YAML config file, no `*`): the real SDK on
 * the listed origin works; on any other origin the browser's CORS check stops it before it gets an
 * access token, and its WebSocket upgrades are refused too. Each site has its own same-origin JWT
 * service (`POST /sts`), like a customer's backend, so the only thing in the way is CORS.
 */

const run = need('chromium', hasChromium());

const BOT = { id: 'st-0e2e0c05-1a2b-5c3d-8e4f-000000000001', name: 'CORS Test Bot' };
const APP = { clientId: 'cs-0e2e0c05-1a2b-5c3d-8e4f-000000000002', clientSecret: 'cors-test-secret-0123456789abcdef' };

describe.skipIf(!run)('a CORS allow-list, with the real Kore Web SDK', () => {
  let dir: string;
  let server: TestServer;
  let browser: Browser;
  let allowed: Site;
  let unlisted: Site;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    clearArtefacts('cors-');
    // The sites start first (their origins go into the config); their config.js is read per request.
    const page = () => ({ apiUrl: `${server.url}/api/`, botId: BOT.id, botName: BOT.name, clientId: APP.clientId, clientSecret: 'unused: the site signs its own JWTs' });
    const sts = { clientId: APP.clientId, clientSecret: APP.clientSecret, botId: BOT.id };
    allowed = await startSite(() => ({ ...page(), jwtUrl: `${allowed.origin}/sts` }), sts);
    unlisted = await startSite(() => ({ ...page(), jwtUrl: `${unlisted.origin}/sts` }), sts);
    dir = mkdtempSync(join(tmpdir(), 'colloquy-e2e-cors-'));
    const file = join(dir, 'colloquy.yaml');
    writeFileSync(
      file,
      stringify({
        settings: { corsOrigins: [allowed.origin], store: 'memory' },
        bots: [{ ...BOT, icon: '/demo/bot-icon.svg' }],
        apps: [{ ...APP, name: 'CORS test page', algorithms: ['HS256'], bots: [BOT.id] }],
      }),
    );
    server = await startTestServer({ configFile: file });
    browser = await launchBrowser();
  });

  /** This test's pages, reported on failure. */
  const opened: { name: string; site: Site; page: Page; rec: Recorder }[] = [];

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') {
      for (const { name, site, page, rec } of opened) {
        console.error(`---- ${ctx.task.name} / ${name} (${page.url()}) ----\n${rec.dump()}\n---- site requests ----\n  ${site.requests.join('\n  ')}\n---- bubbles ----\n${JSON.stringify(await bubbles(page).catch(() => []))}`);
        await screenshot(page, `cors-FAILED-${name}`).catch(() => {});
      }
    }
    opened.splice(0);
    for (const c of contexts.splice(0)) await c.close().catch(() => {});
  });

  afterAll(async () => {
    await browser?.close();
    await allowed?.close();
    await unlisted?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(site: Site, name: string): Promise<{ page: Page; rec: Recorder }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    const page = await context.newPage();
    const rec = record(page, server.url);
    opened.push({ name, site, page, rec });
    await page.goto(`${site.origin}/?identity=${encodeURIComponent(`cors-${name}-${Date.now()}@example.com`)}`);
    return { page, rec };
  }

  /** Try a WebSocket to `url` from inside the page: 'open' or 'closed <code>'. */
  const tryWebSocket = (page: Page, url: string): Promise<string> =>
    page.evaluate(
      (u) =>
        new Promise<string>((resolve) => {
          const ws = new (globalThis as any).WebSocket(u);
          ws.onopen = () => {
            resolve('open');
            ws.close();
          };
          ws.onclose = (e: { code: number }) => resolve(`closed ${e.code}`);
        }),
      url,
    );

  const wsUrl = async (): Promise<string> => {
    const client = await KoreClient.login(server.url, { clientId: APP.clientId, clientSecret: APP.clientSecret, botId: BOT.id, botName: BOT.name });
    const start = await client.rtmStart();
    expect(start.status).toBe(200);
    return start.body.url as string;
  };

  test('the server answers pre-flights for the listed origin only', async () => {
    const preflight = (origin: string) =>
      fetch(`${server.url}/api/oAuth/token/jwtgrant`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    const ok = await preflight(allowed.origin);
    expect(ok.status).toBeLessThan(300);
    expect(ok.headers.get('access-control-allow-origin')).toBe(allowed.origin);
    const refused = await preflight(unlisted.origin);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('the widget on the listed origin works', async () => {
    const { page, rec } = await open(allowed, 'allowed');
    await until(
      async () => rec.api.some((l) => l.includes('/botmessages/rtm') && l.endsWith('-> 200')) && rec.sockets.length > 0 && !(await footerFrozen(page)),
      10_000,
      () => rec.dump(),
    );
    const grant = rec.responses.find((r) => r.url().includes('/oAuth/token/jwtgrant'))!;
    expect(grant.status()).toBe(200);
    expect(grant.headers()['access-control-allow-origin']).toBe(allowed.origin);
    expect(allowed.requests).toContain('POST /sts');

    await say(page, 'hello');
    await waitForBubble(page, 'bot', 'Hello! How can I help you today?');
    expect(await tryWebSocket(page, await wsUrl())).toBe('open');
    expect(rec.pageErrors).toEqual([]);
    await screenshot(page, 'cors-allowed');
  });

  test('the widget on an unlisted origin gets no access token and no socket', async () => {
    const { page, rec } = await open(unlisted, 'unlisted');
    // The page got its JWT from its own backend, then the browser's CORS check stopped jwtgrant.
    await until(async () => rec.api.some((l) => l.includes('/oAuth/token/jwtgrant') && l.includes('FAILED')), 10_000, () => rec.dump());
    expect(unlisted.requests).toContain('POST /sts');
    expect(rec.api.filter((l) => l.includes('/oAuth/token/jwtgrant'))[0]).toMatch(/-> FAILED net::ERR_FAILED$/);
    expect(rec.console.filter((l) => l.includes('/oAuth/token/jwtgrant') && l.includes('blocked by CORS policy'))).not.toEqual([]);
    // No API answer ever reached the page: no access token, so no rtm/start, no history, no socket.
    expect(rec.responses.filter((r) => r.ok())).toEqual([]);
    expect(rec.api.filter((l) => /rtm\/start|botmessages|activetheme/.test(l))).toEqual([]);
    expect(rec.sockets).toEqual([]);
    expect(await bubbles(page)).toEqual([]);

    // Even with a valid socket URL (obtained outside the browser), the upgrade from this origin is refused.
    expect(await tryWebSocket(page, await wsUrl())).toMatch(/^closed 10\d\d$/);
    expect(rec.sockets.map((s) => s.url)).toHaveLength(1);
    await screenshot(page, 'cors-unlisted');
  });
});
