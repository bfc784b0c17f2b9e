import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type ConsoleMessage, type Page, type Request, type Response, type WebSocket as PwWebSocket } from 'playwright-core';
import { CHROMIUM } from '../support/services.js';
import { ROOT } from './sites.js';

/**
 * End-to-end harness, the browser side: a headless Chromium, a recorder of what a page did, the chat window's
 * bubbles and compose box, screenshots. The site and the proxy the page talks through are in sites.ts.
 */

export const ARTEFACTS = join(ROOT, 'test-results', 'e2e');

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
