import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HELPDESK_BOT_DIR } from '../../src/server/demo.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { hasChromium, need } from '../support/services.js';
import {
  BOT_BUBBLES,
  botFrames,
  bubbles,
  clearArtefacts,
  footerFrozen,
  launchBrowser,
  record,
  say,
  screenshot,
  TRACE_SCRIPT,
  until,
  welcomeSettled,
} from './harness.js';
import { demoPage, startProxy, startSite, type Proxy, type Site } from './sites.js';

/**
 * A knowledge answer in the real, unmodified Kore Web SDK: a question no intent of the demo bot covers is
 * answered from its knowledge base. The SDK draws no partial frames: while the answer is prepared it shows its
 * own typing indicator (raised by the send); then the answer and its sources arrive as ordinary bot_responses,
 * each drawn once, no empty or raw-JSON bubble, and the indicator is gone.
 * Screenshot: test-results/e2e/knowledge-answer.png.
 */

const run = need('chromium', hasChromium());

describe.skipIf(!run)('knowledge answers in the real Kore Web SDK', () => {
  let server: TestServer;
  let browser: Browser;
  let proxy: Proxy;
  let site: Site;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    clearArtefacts('knowledge-');
    server = await startTestServer({ settings: { demoBot: HELPDESK_BOT_DIR } });
    proxy = await startProxy(server.node.port);
    site = await startSite(demoPage(proxy));
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await proxy?.close();
    await site?.close();
    await server?.stop();
  });

  test('a question from the knowledge base: the typing indicator, then the answer and its sources, each once', async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page: Page = await context.newPage();
    const rec = record(page, proxy.origin);
    await page.addInitScript(TRACE_SCRIPT);
    await page.goto(`${site.origin}/?identity=${encodeURIComponent(`kb-${randomUUID().slice(0, 8)}@example.com`)}`);
    await until(async () => !(await footerFrozen(page)) && (await welcomeSettled(page)), 15_000, () => `widget not ready:\n${rec.dump()}`);
    const botBubbles = async () => (await bubbles(page)).filter((b) => b.who === 'bot');
    const before = (await botBubbles()).length;

    await say(page, 'how do i connect to the vpn from a hotel');
    // The SDK raises its typing indicator after a send, until a bot_response arrives.
    await page.locator('.typingIndicatorContent').waitFor({ state: 'visible', timeout: 2000 });
    // The answer and its sources: two bubbles, the indicator gone after them.
    await until(async () => (await botBubbles()).length >= before + 2, 10_000, () => rec.dump());
    await page.locator('.typingIndicatorContent').waitFor({ state: 'hidden', timeout: 5000 });

    // On the wire: the answer's text and then its sources (a list template); no stream events reached the SDK.
    const frames = rec.sockets.flatMap((s) => botFrames(s));
    const kinds = frames.map((f) => /"template_type":"(\w+)"/.exec(JSON.stringify(f.message?.[0]?.component))?.[1] ?? f.message?.[0]?.component?.type);
    expect(kinds.slice(-2), JSON.stringify(kinds)).toEqual(['text', 'list']);
    const all = rec.sockets.flatMap((s) => s.received.map((t) => JSON.parse(t) as { type?: string }));
    expect(all.some((f) => String(f.type).startsWith('stream'))).toBe(false);

    // The page shows the answer (it speaks of the VPN) and its sources, once each.
    const shown = (await botBubbles()).slice(before);
    expect(shown, JSON.stringify(shown)).toHaveLength(2);
    expect(shown[0]!.text).toMatch(/VPN/i);
    expect(shown[1]!.text).toMatch(/Sources/i);
    expect(await page.locator(BOT_BUBBLES).count()).toBe(before + 2);
    await screenshot(page, 'knowledge-answer');
  }, 60_000);
});
