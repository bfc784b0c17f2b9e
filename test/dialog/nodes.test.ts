/**
 * Every node type, through conversation scripts on the showcase bot (test/dialog/fixtures/showcase):
 * message content, prompts of every entity with validation and retries, confirm, set, condition, the
 * HTTP service node against a real local server (success, timeout, error status, no error branch),
 * sub-flows, hand-off and end; templating of slots, session, user and system variables.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/core/memory/clock.js';
import type { Route } from '../../src/core/ports/http.js';
import { chat, fixture, MONDAY } from './support/chat.js';
import { startTicketServer, type TestHttpServer } from './support/ticket-server.js';

const SHOWCASE = fixture('showcase');
const API_KEY = 'sk-test-5f3a9c2e7b1d4e8f';

const testRoutes: Route[] = [
  { method: 'POST', path: 'test/ok', handle: async (req) => ({ status: 200, body: { answer: `hi ${String((req.body as { who?: string }).who)}` } }) },
  { method: 'POST', path: 'test/slow', handle: () => new Promise((ok) => setTimeout(() => ok({ status: 200, body: { answer: 'late' } }), 1500)) },
  { method: 'POST', path: 'test/fail', handle: async () => ({ status: 500, body: { error: 'boom' } }) },
];

let server: TestHttpServer;
beforeAll(async () => {
  server = await startTicketServer(new ManualClock(MONDAY), testRoutes);
});
afterAll(() => server.close());

const showcase = (opts: Parameters<typeof chat>[1] = {}) => chat(SHOWCASE, { serverUrl: server.url, secrets: { API_KEY }, ...opts });

describe('message nodes', () => {
  test('text, quick replies, links, carousel, list and image, in order, with templates', async () => {
    const t = await showcase();
    const said = await t.user('content tour');
    expect(said.contents).toEqual([
      { type: 'quickReplies', text: 'Quick replies', replies: [{ title: 'One', payload: 'One' }, { title: 'Two', payload: '2' }] },
      { type: 'buttons', text: 'Links', buttons: [{ kind: 'link', title: 'Docs', url: 'https://example.com/docs' }] },
      {
        type: 'carousel',
        cards: [
          { title: 'Card A', subtitle: 'First', imageUrl: 'https://example.com/a.png', buttons: [{ kind: 'postback', title: 'Pick A', payload: 'a' }] },
          { title: 'Card B', url: 'https://example.com/b' },
        ],
      },
      { type: 'list', title: 'A list', items: [{ title: 'Item 1' }, { title: 'Item 2', subtitle: 'two' }], buttons: [{ kind: 'postback', title: 'More', payload: 'more' }] },
      { type: 'media', media: 'image', url: 'https://example.com/content.png' },
    ]);
    // A flow without questions has no flow events and leaves no state behind.
    expect(t.events()).toEqual([]);
  });

  test('session variables from the client, user variables with defaults, system variables', async () => {
    const t = await showcase({ sessionVars: { name: 'Ada' } });
    await t.open();
    t.expect('Hello Ada! You are on the basic plan, in test.');
  });
});

describe('prompts', () => {
  test('choice (buttons, synonym), number (words), date (relative), phone, optional text, confirm; set and condition', async () => {
    const t = await showcase();
    await t.user('I want a pizza');
    expect(t.last.contents[0]).toEqual({ type: 'buttons', text: 'Which size?', buttons: ['Small', 'Medium', 'Large'].map((l, i) => ({ kind: 'postback', title: l, payload: ['s', 'm', 'l'][i] })) });
    await t.user('a big one');
    t.expect('How many?');
    await t.user('six please');
    t.expect('For which day?');
    await t.user('next Monday');
    t.expect('Your phone number?');
    await t.user('call me on 01 23 45 67 89');
    t.expect('Any note for the kitchen? (or say "skip")');
    await t.user('skip');
    t.expect('6 l pizza(s) for 2030-01-21, phone +33123456789, note "" — order?');
    await t.user('yes please');
    t.expect('Party order: 6 × l.');
    expect(t.events()).toEqual(['flow_completed']);
    const state = (await t.dialog()) as { sessionVars: Record<string, unknown>; userVars: Record<string, unknown>; stack: unknown[] };
    expect(state.sessionVars['orders']).toBe(6);
    expect(state.userVars['phone']).toBe('+33123456789');
    expect(state.stack).toEqual([]);
  });

  test('validation: a value out of range is explained, the question repeated; retries end at onFail', async () => {
    const t = await showcase();
    await t.user('order a pizza');
    await t.user('small');
    await t.user('12');
    t.expect(/It must be at most 10\.\nHow many\?/);
    await t.user('1.5');
    t.expect(/Please give a whole number/);
    await t.user('lots');
    t.expect(/still didn't get that/);
    t.expect('Let us leave it there.');
    expect(t.last.events.at(-1)).toMatchObject({ name: 'flow_completed', detail: { flow: { status: 'exited' } } });
  });

  test('a date outside its window, and a node-level help text', async () => {
    const t = await showcase();
    await t.user('order a pizza');
    await t.user('medium');
    await t.user('help');
    t.expect(/Any whole number from 1 to 10\.\nHow many\?/);
    await t.user('2');
    await t.user('in two months');
    t.expect(/The date must be on or before 2030-02-13/);
    // The bot allows one retry (bot.yaml `retries: 1`).
    await t.user('yesterday');
    t.expect(/still didn't get that/);
  });

  test('a pattern entity reads the value from the request that started the flow', async () => {
    const t = await showcase();
    await t.user('track order ORD 123 please');
    t.expect('Order ORD-123 is on its way.');
    await t.user('where is my order');
    t.expect('Which order number?');
    await t.user('it is ord-456');
    t.expect('Order ORD-456 is on its way.');
  });
});

describe('the HTTP service node', () => {
  test('a call with templated body and secrets; the answer is saved and used', async () => {
    const t = await showcase();
    await t.user('call the service');
    await t.user('ok');
    t.expect('Service said hi u-1 (200).');
    const req = server.requests.at(-1)!;
    expect(req.line).toBe(`POST /api/test/ok?key=${API_KEY}`);
    expect(req.body).toEqual({ count: 'basic', who: 'u-1' });
    // The secret went to the service, never to the logs.
    expect(t.logs.join('\n')).not.toContain(API_KEY);
    expect(t.logs.find((l) => l.includes('dialog.http'))).toContain(`"service":"${server.url}/api/test/ok"`);
  });

  test('a timeout and an error status take the error branch', async () => {
    const t = await showcase();
    await t.user('service call');
    await t.user('slow');
    t.expect('The service timed out.');
    await t.user('service call');
    await t.user('fail');
    t.expect('The service failed (500).');
    await t.user('service call');
    await t.user('down');
    t.expect('The service failed (404).');
    // The bot had a way around it: nothing to report.
    expect(t.events()).not.toContain('service_failed');
  });

  test('a network error without an error branch: the flow fails with the bot\'s service error text', async () => {
    const t = await showcase({ serverUrl: 'http://127.0.0.1:9' });
    await t.user('unguarded call');
    t.expect(/a system I need is not answering/);
    t.expectNot(/Never said/);
    expect(t.logs.some((l) => l.includes('dialog.http_failed') && l.includes('"error":"network"'))).toBe(true);
    // Channels that report failed services learn which step failed and how, before the apology.
    expect(t.events()).toEqual(['service_failed']);
    expect(t.last.events[0]!.detail).toEqual({ service: { name: 'unguarded.http1', status: 0, failure: 'network' } });
  });
});

describe('sub-flows, hand-off, end', () => {
  test('a flow node runs another flow and goes on after it; values come back through session variables', async () => {
    const t = await showcase();
    await t.user('checkout');
    expect(t.events()).toEqual(['flow_started', 'flow_started', 'waiting_for_user_input']);
    t.expect('Which city?');
    await t.user('Lyon');
    t.expect('Which postcode?');
    await t.user('69001');
    t.expect('Shipping to Lyon.');
    expect(t.events()).toEqual(['flow_completed', 'flow_completed']);
  });

  test('cancel in a sub-flow stops the flow that called it too', async () => {
    const t = await showcase();
    await t.user('checkout');
    await t.user('cancel');
    t.expect('OK, I stopped that.');
    expect(t.last.events.map((e) => [e.name, e.detail?.flow?.id, e.detail?.flow?.status])).toEqual([
      ['flow_completed', 'address', 'exited'],
      ['flow_completed', 'checkout', 'exited'],
    ]);
    expect((await t.dialog()) as { stack: unknown[] }).toMatchObject({ stack: [] });
  });

  test('a handoff node emits the signal with its queue', async () => {
    const t = await showcase();
    await t.user('escalate this now');
    t.expect('I am handing you over to a human agent.');
    expect(t.last.events[0]).toEqual({ name: 'handoff_requested', detail: { handoff: { queue: 'vip' } } });
    expect(t.last.events[1]).toMatchObject({ name: 'handoff_queued', detail: { handoff: { queue: 'vip', id: expect.stringMatching(/^h-/) } } });
  });
});
