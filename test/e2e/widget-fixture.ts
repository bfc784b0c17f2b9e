import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { HELPDESK_BOT_DIR } from '../../src/server/demo.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { botFrames, bubbles, clearArtefacts, footerFrozen, frameText, launchBrowser, record, screenshot, TRACE_SCRIPT, until, WELCOME, welcomeSettled, type Recorder } from './harness.js';
import { demoPage, startProxy, startSite, type Proxy, type Site } from './sites.js';

/**
 * What the widget tests share: Colloquy with its demo bot (the IT helpdesk), two customer sites on their own
 * origins, each reaching the API through its own TCP proxy, and a headless Chromium:
 *
 *   site A  http://127.0.0.1:<a>  ──XHR/WS──►  proxy A  ──►  Colloquy
 *   site B  http://127.0.0.1:<b>  ──XHR/WS──►  proxy B  ──►  (same server)
 *
 * Made inside a `describe`, it registers that suite's hooks; a failing test reports what each of its tabs did
 * and leaves screenshots named `<artefacts>FAILED-…`.
 */

// The helpdesk's answers the widget tests use (bots/helpdesk/flows).
export const HELLO_REPLY = 'Hello! How can I help you today?';
export const THANKS_REPLY = "You're welcome! Anything else I can do for you?";
export const BYE_REPLY = 'Goodbye! Come back any time.';
export const HELP_REPLY = 'I can take care of these';

export interface Tab {
  readonly page: Page;
  readonly rec: Recorder;
}

export const newIdentity = (): string => `e2e-${randomUUID().slice(0, 8)}@example.com`;
export const count = async (page: Page, selector: string, text: string): Promise<number> => page.locator(selector, { hasText: text }).count();

export class WidgetFixture {
  server!: TestServer;
  browser!: Browser;
  proxyA!: Proxy;
  proxyB!: Proxy;
  siteA!: Site;
  siteB!: Site;
  /** This test's tabs, reported on failure. */
  readonly opened: { name: string; tab: Tab }[] = [];
  private readonly contexts: BrowserContext[] = [];

  /** `artefacts`: the prefix of this suite's screenshots (earlier ones are removed first). */
  constructor(artefacts: string) {
    beforeAll(async () => {
      clearArtefacts(artefacts);
      this.server = await startTestServer({ settings: { demoBot: HELPDESK_BOT_DIR } });
      this.proxyA = await startProxy(this.server.node.port);
      this.proxyB = await startProxy(this.server.node.port);
      this.siteA = await startSite(demoPage(this.proxyA));
      this.siteB = await startSite(demoPage(this.proxyB));
      this.browser = await launchBrowser();
    });

    // On failure: what each page did, and a screenshot. Then the test's pages go away with it (a later
    // network cut must not make them reconnect).
    afterEach(async (ctx) => {
      if (ctx.task.result?.state === 'fail') {
        for (const { name, tab } of this.opened) {
          console.error(`---- ${ctx.task.name} / tab ${name} (${tab.page.url()}) ----\n${tab.rec.dump()}\n---- bubbles ----\n${JSON.stringify(await bubbles(tab.page).catch(() => []), null, 1)}`);
          await screenshot(tab.page, `${artefacts}FAILED-${ctx.task.name.replace(/\W+/g, '-').slice(0, 60)}-${name}`).catch(() => {});
        }
      }
      this.opened.splice(0);
      for (const c of this.contexts.splice(0)) await c.close().catch(() => {});
    });

    afterAll(async () => {
      for (const c of this.contexts.splice(0)) await c.close().catch(() => {});
      await this.browser?.close();
      await this.proxyA?.close();
      await this.proxyB?.close();
      await this.siteA?.close();
      await this.siteB?.close();
      await this.server?.stop();
    });
  }

  /** A fresh browser profile (no shared storage with other tests), closed after the test. */
  readonly newContext = async (): Promise<BrowserContext> => {
    const c = await this.browser.newContext({ viewport: { width: 1280, height: 800 } });
    this.contexts.push(c);
    return c;
  };

  /** Open the demo page of `site` as `identity` (traced, see TRACE_SCRIPT). */
  readonly openTab = async (context: BrowserContext, site: Site, proxy: Proxy, identity: string, name: string): Promise<Tab> => {
    const page = await context.newPage();
    const rec = record(page, proxy.origin);
    this.opened.push({ name, tab: { page, rec } });
    await page.addInitScript(TRACE_SCRIPT);
    await page.goto(`${site.origin}/?identity=${encodeURIComponent(identity)}`);
    return { page, rec };
  };

  /**
   * The widget is up: its socket is open, its history request answered, the compose footer not frozen,
   * and the SDK done with the welcome frame (rendered, or lost: that is what the welcome test checks).
   */
  readonly ready = async (tab: Tab, timeout = 10_000): Promise<void> => {
    const historyAnswered = () => tab.rec.api.some((l) => l.includes('/api/botmessages/rtm') && l.endsWith('-> 200'));
    const socketOpen = () => tab.rec.sockets.some((x) => !x.closed);
    await until(
      async () => historyAnswered() && socketOpen() && !(await footerFrozen(tab.page)) && (await welcomeSettled(tab.page)),
      timeout,
      () => `widget not ready:\n${tab.rec.dump()}`,
    );
  };

  /** Bot frames carrying the welcome, over all of a tab's sockets. */
  readonly welcomeFrames = (tab: Tab): any[] => tab.rec.sockets.flatMap((x) => botFrames(x)).filter((f) => frameText(f).includes(WELCOME));

  /** Bubbles without the welcome (whose rendering is tested on its own), as [who, text]. */
  readonly conversation = async (page: Page): Promise<string[][]> => (await bubbles(page)).filter((b) => !b.text.includes(WELCOME)).map((b) => [b.who, b.text]);
}
