import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { HELPDESK_BOT_DIR } from '../../src/server/demo.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { hasChromium, need } from '../support/services.js';
import {
  ARTEFACTS,
  bubbles,
  clearArtefacts,
  footerFrozen,
  launchBrowser,
  record,
  say,
  screenshot,
  TRACE_SCRIPT,
  until,
  waitForBubble,
  welcomeSettled,
  type Recorder,
} from './harness.js';
import { demoPage, startProxy, startSite, type Proxy, type Site } from './sites.js';

/**
 * Live-agent handoff end to end, in real browsers: a user in the real Kore Web SDK (on its own origin,
 * through a proxy) asks the demo bot for an agent; agent Dana, in the agent console at /agent (a second
 * browser context), sees the conversation waiting with its reason, accepts it and sees the transcript; they
 * talk both ways; Dana transfers to Sam (a third context) with a note; Sam accepts and sees the note; the
 * user types "exit"; both consoles show the chat ended and the bot speaks again in the widget.
 * Screenshots of every side: test-results/e2e/agent-*.png.
 */

const run = need('chromium', hasChromium());
const CONNECTING = "I'm connecting you with a human agent";
const BOT_AGAIN = 'You are back with the virtual assistant';

describe.skipIf(!run)('live-agent handoff: the Kore Web SDK and the agent console', () => {
  let server: TestServer;
  let browser: Browser;
  let proxy: Proxy;
  let site: Site;
  const contexts: BrowserContext[] = [];
  const pages: { name: string; page: Page; rec?: Recorder }[] = [];

  beforeAll(async () => {
    clearArtefacts('agent-');
    server = await startTestServer({ settings: { demoBot: HELPDESK_BOT_DIR } });
    proxy = await startProxy(server.node.port);
    site = await startSite(demoPage(proxy));
    browser = await launchBrowser();
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    for (const { name, page, rec } of pages) {
      if (rec) console.error(`---- widget ${name} ----\n${rec.dump()}\n${JSON.stringify(await bubbles(page).catch(() => []), null, 1)}`);
      await page.screenshot({ path: join(ARTEFACTS, `agent-FAILED-${name}.png`) }).catch(() => {});
    }
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await proxy?.close();
    await site?.close();
    await server?.stop();
  });

  async function newPage(name: string): Promise<Page> {
    const c = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    contexts.push(c);
    const page = await c.newPage();
    pages.push({ name, page });
    return page;
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTEFACTS, `agent-${name}.png`) });

  /** The agent console at /agent, signed in as a demo agent, connected. */
  async function signIn(id: string): Promise<Page> {
    const page = await newPage(id);
    await page.goto(`${server.url}/agent`);
    await page.getByLabel('Agent id').fill(id);
    await page.getByLabel('Password').fill(server.node.demoAgents.find((a) => a.id === id)!.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('[data-testid=connection][data-state=online]').waitFor({ timeout: 10_000 });
    return page;
  }

  const chatPanel = (page: Page) => page.locator('[data-testid=chat]:visible');

  test('user asks for an agent; Dana accepts, they talk, Dana transfers to Sam with a note, the user exits', async () => {
    // The user: the real Kore Web SDK on the customer's site.
    const user = await newPage('user');
    const rec = record(user, proxy.origin);
    pages[pages.length - 1] = { name: 'user', page: user, rec };
    await user.addInitScript(TRACE_SCRIPT);
    await user.goto(`${site.origin}/?identity=${encodeURIComponent(`e2e-${randomUUID().slice(0, 8)}@example.com`)}`);
    await until(async () => !(await footerFrozen(user)) && (await welcomeSettled(user)), 15_000, () => `widget not ready:\n${rec.dump()}`);

    const dana = await signIn('dana');
    const sam = await signIn('sam');
    expect(await dana.getByTestId('agent-name').textContent()).toBe('Dana (dana)');

    // The user asks for a human.
    await say(user, 'talk to an agent');
    await waitForBubble(user, 'bot', CONNECTING);

    // Dana sees it waiting, with its reason; accepts; sees the transcript.
    const waiting = dana.getByTestId('waiting-item');
    await waiting.first().waitFor({ timeout: 10_000 });
    expect(await waiting.count()).toBe(1);
    expect(await waiting.getByTestId('waiting-reason').textContent()).toBe('user asked for a human');
    await shot(dana, '01-dana-waiting');
    await waiting.getByRole('button', { name: 'Accept' }).click();
    const danaChat = chatPanel(dana);
    await danaChat.waitFor({ timeout: 10_000 });
    expect(await danaChat.getByTestId('chat-reason').textContent()).toContain('user asked for a human');
    await danaChat.locator('[data-testid=msg-user]', { hasText: 'talk to an agent' }).waitFor({ timeout: 5000 });
    await danaChat.locator('[data-testid=msg-bot]', { hasText: CONNECTING }).waitFor({ timeout: 5000 });
    // Sam no longer sees it waiting.
    await until(async () => (await sam.getByTestId('waiting-item').count()) === 0, 5000, () => 'Sam still sees the accepted conversation waiting');

    // Dana → user: the SDK renders the agent's message.
    await danaChat.getByLabel('Message', { exact: true }).fill('Hi, this is Dana from IT support.');
    await danaChat.getByLabel('Message', { exact: true }).press('Enter');
    await user.locator('.chat-container', { hasText: 'Hi, this is Dana from IT support.' }).waitFor({ timeout: 10_000 });
    await danaChat.locator('[data-testid=msg-agent]', { hasText: 'Hi, this is Dana from IT support.' }).waitFor({ timeout: 5000 });

    // User → Dana (typing shows on nobody's side but Dana's own compose box: the user's words arrive).
    await say(user, 'My VPN drops every ten minutes');
    await danaChat.locator('[data-testid=msg-user]', { hasText: 'My VPN drops every ten minutes' }).waitFor({ timeout: 10_000 });
    await screenshot(user, 'agent-02-user-with-dana');
    await shot(dana, '03-dana-chat');

    // Dana transfers to Sam with a note.
    await danaChat.getByRole('button', { name: 'Transfer…' }).click();
    const dialog = dana.getByTestId('transfer-dialog');
    await dialog.getByTestId('transfer-agent').selectOption('sam');
    await dialog.getByTestId('transfer-note').fill('VPN drops every 10 min; already restarted the client.');
    await shot(dana, '04-dana-transfer');
    await dialog.getByTestId('transfer-confirm').click();
    await until(async () => ((await danaChat.getByTestId('chat-ended').textContent()) ?? '').includes('transferred'), 10_000, () => 'Dana\'s chat did not end');

    // Sam sees it transferred to him, with the note; accepts; sees the note and the transcript.
    const samWaiting = sam.getByTestId('waiting-item');
    await samWaiting.first().waitFor({ timeout: 10_000 });
    expect(await samWaiting.textContent()).toContain('Transferred to you');
    expect(await samWaiting.textContent()).toContain('VPN drops every 10 min; already restarted the client.');
    expect(await dana.getByTestId('waiting-item').count()).toBe(0);
    await samWaiting.getByRole('button', { name: 'Accept' }).click();
    const samChat = chatPanel(sam);
    await samChat.waitFor({ timeout: 10_000 });
    expect(await samChat.getByTestId('chat-note').textContent()).toContain('VPN drops every 10 min; already restarted the client.');
    await samChat.locator('[data-testid=msg-user]', { hasText: 'My VPN drops every ten minutes' }).waitFor({ timeout: 5000 });
    await samChat.getByLabel('Message', { exact: true }).fill('Sam here — let me look at your VPN profile.');
    await samChat.getByRole('button', { name: 'Send' }).click();
    await user.locator('.chat-container', { hasText: 'Sam here — let me look at your VPN profile.' }).waitFor({ timeout: 10_000 });
    await shot(sam, '05-sam-chat');

    // The user leaves; both consoles show the chat ended; the bot answers again.
    await say(user, 'exit');
    await until(async () => ((await samChat.getByTestId('chat-ended').textContent()) ?? '').includes('userExit'), 10_000, () => 'Sam\'s chat did not end');
    expect(await danaChat.getByTestId('chat-ended').textContent()).toContain('ended');
    await waitForBubble(user, 'bot', BOT_AGAIN);
    await samChat.getByRole('button', { name: 'Dismiss' }).waitFor();
    await screenshot(user, 'agent-06-user-after-exit');
    await shot(sam, '07-sam-ended');
    await shot(dana, '08-dana-ended');
    expect(rec.pageErrors).toEqual([]);
  });
});
