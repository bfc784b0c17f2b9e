import { describe, expect, test } from 'vitest';
import { hasChromium, need } from '../support/services.js';
import {
  BOT_BUBBLES,
  bubbles,
  botFrames,
  footerFrozen,
  frameText,
  say,
  screenshot,
  until,
  USER_BUBBLES,
  waitForBubble,
  WELCOME,
} from './harness.js';
import { BYE_REPLY, count, HELLO_REPLY, HELP_REPLY, newIdentity, THANKS_REPLY, WidgetFixture } from './widget-fixture.js';

/**
 * The real kore-web-sdk in headless Chromium, across page lifetimes: a reload restores the history, a second
 * tab of the same user sees the first one's messages, and a network cut under the SDK (the TCP proxy of
 * widget-fixture.ts) ends in a reconnect with `isReconnect=true` that misses nothing and shows nothing twice.
 */

const run = need('chromium', hasChromium());

describe.skipIf(!run)('the real Kore Web SDK across reloads, tabs and reconnects', () => {
  const fx = new WidgetFixture('session-');
  const { newContext, openTab, ready, welcomeFrames, conversation } = fx;

  test('a page reload restores the history: earlier messages again, in order, no duplicates', async () => {
    const context = await newContext();
    const tab = await openTab(context, fx.siteA, fx.proxyA, newIdentity(), 'A');
    const { page } = tab;
    await ready(tab);
    await say(page, 'hello');
    await waitForBubble(page, 'bot', HELLO_REPLY);
    await say(page, 'thank you');
    await waitForBubble(page, 'bot', THANKS_REPLY);
    await say(page, 'help');
    await waitForBubble(page, 'bot', HELP_REPLY);
    const before = await bubbles(page);
    const beforeConv = before.filter((b) => !b.text.includes(WELCOME));
    expect(beforeConv.map((b) => b.text)).toEqual(['hello', expect.stringContaining(HELLO_REPLY), 'thank you', THANKS_REPLY, 'help', expect.stringContaining(HELP_REPLY)]);

    const socketsBefore = tab.rec.sockets.length;
    await page.reload();
    // The restored history ends with the last thing before the reload.
    await waitForBubble(page, 'bot', HELP_REPLY);
    await ready(tab);
    // A reload is a new window: a new socket without isReconnect.
    expect(tab.rec.sockets[socketsBefore]?.url).not.toContain('isReconnect');
    await until(async () => (await bubbles(page)).filter((b) => !b.text.includes(WELCOME)).length >= beforeConv.length, 5000, async () => JSON.stringify(await bubbles(page)));
    const after = await bubbles(page);
    await screenshot(page, 'session-07-after-reload');

    // Every message from before the reload is there again, in the same order, once. Bot bubbles keep
    // their id (the server's message id); a live user bubble's DOM id is the SDK's clientMessageId,
    // a restored one's the server's `_id`, so those are compared by text.
    const afterConv = after.filter((b) => !b.text.includes(WELCOME));
    const key = (b: { id: string; who: string; text: string }) => [b.who === 'bot' ? b.id : '(user)', b.who, b.text];
    expect(afterConv.map(key)).toEqual(beforeConv.map(key));
    const ids = after.map((b) => b.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const text of ['hello', 'thank you', 'help']) expect(await count(page, USER_BUBBLES, text)).toBe(1);
    expect(await count(page, BOT_BUBBLES, THANKS_REPLY)).toBe(1);
    // The first window's welcome is restored from history in first place (even if that window lost it,
    // see the welcome test); a reload is a new window, so its own On-Connect greeting comes last, once.
    expect(after[0]).toMatchObject({ who: 'bot', text: expect.stringContaining(WELCOME) });
    if (before[0]?.text.includes(WELCOME)) expect(after[0]!.id).toBe(before[0].id);
    expect(after.map((b) => b.who + (b.text.includes(WELCOME) ? ':welcome' : ''))).toEqual(['bot:welcome', ...beforeConv.map((b) => b.who), 'bot:welcome']);

    // The restored template is still live: chat continues after the reload.
    await say(page, 'goodbye');
    await waitForBubble(page, 'bot', BYE_REPLY);
    expect(tab.rec.pageErrors).toEqual([]);
  });

  test('a second tab of the same user sees the first tab\'s message as its own bubble, and the reply', async () => {
    const context = await newContext();
    const identity = newIdentity();
    const one = await openTab(context, fx.siteA, fx.proxyA, identity, 'one');
    await ready(one);
    const two = await openTab(context, fx.siteA, fx.proxyA, identity, 'two');
    await ready(two);

    await say(one.page, 'thanks, from tab one');
    await waitForBubble(one.page, 'bot', THANKS_REPLY);
    // Tab two: a user_message (from "self") rendered as the user's own bubble, then the bot's reply.
    await waitForBubble(two.page, 'user', 'thanks, from tab one');
    await waitForBubble(two.page, 'bot', THANKS_REPLY);
    const frames = two.rec.sockets[0]!.received.map((f) => JSON.parse(f));
    expect(frames.find((f) => f.type === 'user_message')).toMatchObject({ from: 'self', message: { body: 'thanks, from tab one' } });

    // And the other way round.
    await say(two.page, 'bye from tab two');
    await waitForBubble(two.page, 'bot', BYE_REPLY);
    await waitForBubble(one.page, 'user', 'bye from tab two');
    await waitForBubble(one.page, 'bot', BYE_REPLY);

    for (const tab of [one, two]) {
      // The sender never gets its own message echoed (it would show twice), and each tab is greeted
      // once: the second tab's welcome is for the second tab only.
      expect(await count(tab.page, USER_BUBBLES, 'thanks, from tab one')).toBe(1);
      expect(await count(tab.page, USER_BUBBLES, 'bye from tab two')).toBe(1);
      expect(await count(tab.page, BOT_BUBBLES, THANKS_REPLY)).toBe(1);
      expect(welcomeFrames(tab)).toHaveLength(1);
      expect(await conversation(tab.page)).toEqual([
        ['user', 'thanks, from tab one'],
        ['bot', THANKS_REPLY],
        ['user', 'bye from tab two'],
        ['bot', BYE_REPLY],
      ]);
      expect(tab.rec.pageErrors).toEqual([]);
    }
    await screenshot(one.page, 'session-08-tab-one');
    await screenshot(two.page, 'session-09-tab-two');
  });

  test('a network drop: the SDK reconnects with isReconnect=true, gets what it missed, no second welcome, chat continues', async () => {
    const context = await newContext();
    const identity = newIdentity();
    const a = await openTab(context, fx.siteA, fx.proxyA, identity, 'A');
    await ready(a);
    await say(a.page, 'hello');
    await waitForBubble(a.page, 'bot', HELLO_REPLY);
    // The same user on another site (another origin, through proxy B, which stays up).
    const b = await openTab(context, fx.siteB, fx.proxyB, identity, 'B');
    await ready(b);
    expect(a.rec.sockets).toHaveLength(1);
    const welcomesShown = await count(a.page, BOT_BUBBLES, WELCOME);

    // The network under tab A goes down: its connections are cut and new ones hang.
    const linesBefore = fx.proxyA.requestLines.length;
    fx.proxyA.hold();
    fx.proxyA.cut();
    await until(async () => a.rec.sockets[0]!.closed, 5000, () => 'tab A did not notice the drop');
    await screenshot(a.page, 'session-10-disconnected');

    // Meanwhile the user writes from tab B: a user message and a bot reply tab A has not seen.
    await say(b.page, 'thanks, sent while A was offline');
    await waitForBubble(b.page, 'bot', THANKS_REPLY);
    expect(await count(a.page, BOT_BUBBLES, THANKS_REPLY)).toBe(0);

    // The network comes back; the SDK's reconnect (3 s back-off) goes through.
    fx.proxyA.release();
    await waitForBubble(a.page, 'user', 'thanks, sent while A was offline', 15_000);
    await waitForBubble(a.page, 'bot', THANKS_REPLY);
    await screenshot(a.page, 'session-11-reconnected');

    const urls = a.rec.sockets.map((s) => s.url);
    expect(urls).toHaveLength(2);
    expect(urls[0]).not.toContain('isReconnect');
    expect(urls[1]).toMatch(/\/rtm\/bot\?sid=[^&]+&isReconnect=true$/);
    expect(fx.proxyA.requestLines.slice(linesBefore).filter((l) => l.includes('isReconnect=true'))).toEqual([expect.stringMatching(/^GET \/rtm\/bot\?sid=[^&]+&isReconnect=true$/)]);
    // Same access token: a new rtm/start, no new JWT or jwtgrant (reference §C.1).
    expect(a.rec.api.filter((l) => l.includes('/oAuth/token/jwtgrant') || l.includes('/demo/sts'))).toHaveLength(2);
    expect(a.rec.api.filter((l) => l.includes('/api/rtm/start') && l.endsWith('-> 200'))).toHaveLength(2);
    // What tab A missed came on the new socket, as the user's own message and the bot's reply.
    const replayed = a.rec.sockets[1]!.received.map((f) => JSON.parse(f));
    expect(replayed.filter((f) => f.type === 'user_message').map((f) => [f.from, f.message.body])).toEqual([['self', 'thanks, sent while A was offline']]);
    expect(botFrames(a.rec.sockets[1]!).map(frameText)).toContain(THANKS_REPLY);
    // The reconnect got no new On-Connect greeting, and nothing was shown twice. (After a drop the server
    // resumes from what the client provably read, so frames it had may come again, with their messageId:
    // the SDK drops those.)
    const [welcome] = welcomeFrames(a);
    expect(new Set(welcomeFrames(a).map((f) => f.messageId))).toEqual(new Set([welcome.messageId]));
    expect(await count(a.page, BOT_BUBBLES, WELCOME)).toBe(welcomesShown);
    const ids = (await bubbles(a.page)).map((x) => x.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(await count(a.page, BOT_BUBBLES, HELLO_REPLY)).toBe(1);

    // Chat works on the new socket, and tab B sees it.
    await say(a.page, 'bye, back online');
    await waitForBubble(a.page, 'bot', BYE_REPLY);
    await waitForBubble(b.page, 'user', 'bye, back online');
    expect(a.rec.sockets[1]!.sent.map((f) => JSON.parse(f)).filter((f) => f.message).map((f) => f.message.body)).toEqual(['bye, back online']);
    expect(await conversation(a.page)).toEqual([
      ['user', 'hello'],
      ['bot', expect.stringContaining(HELLO_REPLY)],
      ['user', 'thanks, sent while A was offline'],
      ['bot', THANKS_REPLY],
      ['user', 'bye, back online'],
      ['bot', BYE_REPLY],
    ]);
    expect(await footerFrozen(a.page)).toBe(false);
    expect(a.rec.pageErrors).toEqual([]);
    await screenshot(a.page, 'session-12-chat-after-reconnect');
  });
});
