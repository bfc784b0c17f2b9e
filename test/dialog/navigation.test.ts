/**
 * What works everywhere: go back (a step history, also across the parts of a form), start over, cancel,
 * switching to another intent mid-flow and resuming afterwards, "did you mean?", and what must not
 * interrupt (free-text answers, flows that say so).
 */
import { describe, expect, test } from 'vitest';
import { chat, fixture, HELPDESK, KORE } from './support/chat.js';

const SHOWCASE = fixture('showcase');

describe('go back', () => {
  test('restores the previous question and forgets the answer given to it', async () => {
    const t = await chat(SHOWCASE);
    await t.user('order a pizza');
    await t.user('small');
    await t.user('3');
    t.expect('For which day?');
    await t.user('go back');
    t.expect('How many?');
    await t.user('back');
    t.expect('Which size?');
    expect(((await t.dialog()) as { stack: { slots: object }[] }).stack[0]!.slots).toEqual({});
    await t.user('large');
    await t.user('4');
    await t.user('tomorrow');
    await t.user('0612345678');
    await t.user('extra cheese');
    t.expect('4 l pizza(s) for 2030-01-15, phone +33612345678, note "extra cheese" — order?');
    await t.user('go back');
    t.expect('Any note for the kitchen? (or say "skip")');
  });

  test('at the first question there is nothing to go back to: said, and the question repeated', async () => {
    const t = await chat(SHOWCASE);
    await t.user('order a pizza');
    await t.user('previous');
    t.expect('There is no earlier step to go back to.');
    t.expect(/Which size\?/);
  });

  test('a channel can ask for it without words (Aisera followUpContext)', async () => {
    const t = await chat(SHOWCASE);
    await t.user('order a pizza');
    await t.user('medium');
    await t.user({ text: '', action: 'goBack' });
    t.expect('Which size?');
    await t.user({ text: '', action: 'startOver' });
    t.expect('Which size?');
    expect(t.events()).toEqual(['flow_completed', 'flow_started', 'waiting_for_user_input']);
    await t.user({ text: '', action: 'exit' });
    t.expect('OK, I stopped that.');
  });

  test('across the parts of a form asked field by field and as a form', async () => {
    const t = await chat(HELPDESK, { capabilities: KORE });
    await t.user('request hardware');
    await t.press('Monitor');
    expect(t.form().fields.map((f) => f.name)).toEqual(['quantity', 'neededBy', 'reason']);
    await t.user('go back');
    t.expect('Which device do you need?');
    await t.press('Mouse');
    await t.submit({ quantity: '1', neededBy: 'tomorrow', reason: 'Mine squeaks' });
    t.expect('Is it urgent?');
    await t.user('go back');
    // The form again, to fill in anew.
    expect(t.form().fields.map((f) => f.name)).toEqual(['quantity', 'neededBy', 'reason']);
  });
});

describe('start over and cancel', () => {
  test('start over begins the flow anew, with nothing answered; with no flow it greets again', async () => {
    const t = await chat(SHOWCASE);
    await t.user('order a pizza');
    await t.user('small');
    await t.user('start over');
    t.expect("Let's start over.");
    t.expect('Which size?');
    const runs = t.last.events.filter((e) => e.detail?.flow).map((e) => e.detail!.flow!.runId);
    expect(new Set(runs).size).toBe(2);
    await t.user('cancel');
    await t.user('start over');
    t.expect(/Hello ! You are on the basic plan/);
  });

  test('cancel ends the flow; with nothing running it says so', async () => {
    const t = await chat(SHOWCASE);
    await t.user('cancel');
    t.expect('There is nothing to cancel.');
    await t.user('order a pizza');
    await t.user('stop');
    t.expect('OK, I stopped that.');
    expect(t.last.events).toEqual([{ name: 'flow_completed', detail: { flow: expect.objectContaining({ id: 'pizza', status: 'exited' }) } }]);
  });
});

describe('interruptions', () => {
  test('another intent while a typed answer is awaited: it runs, then the flow resumes at the same question', async () => {
    const t = await chat(SHOWCASE);
    await t.user('order a pizza');
    await t.user('medium');
    t.expect('How many?');
    await t.user('track order ORD 777');
    t.expect('Order ORD-777 is on its way.');
    t.expect(/Back to your pizza order\.\nHow many\?/);
    await t.user('2');
    t.expect('For which day?');
  });

  test('interruptions nest: each flow resumes in turn', async () => {
    const t = await chat(SHOWCASE);
    await t.user('order a pizza');
    await t.user('checkout');
    t.expect('Which city?');
    // A free-text question: only commands interrupt it, so the city is "Paris", not another intent.
    await t.user('Paris');
    await t.user('where is my order');
    t.expect('Which order number?');
    await t.user('ord 101');
    t.expect('Order ORD-101 is on its way.');
    t.expect(/Back to your address\.\nWhich postcode\?/);
    await t.user('75001');
    t.expect('Shipping to Paris.');
    t.expect(/Back to your pizza order\.\nWhich size\?/);
  });

  test('a free-text answer is never taken for an intent', async () => {
    const t = await chat(HELPDESK);
    await t.user('create a ticket');
    await t.user('I forgot my password and need a reset');
    t.expect('How urgent is it?');
  });

  test('a flow that may not be interrupted keeps asking, but commands still work', async () => {
    const t = await chat(SHOWCASE);
    await t.user('update my contact details');
    await t.user('order a pizza');
    t.expect(/Sorry, I didn't get that\.\nYour email\?/);
    await t.user('help');
    t.expect(/Here is what I can help with/);
    t.expect(/Your email\?/);
    await t.user('ada@example.com');
    t.expect('Saved ada@example.com.');
  });

  test('help mid-flow: the question\'s own help, or the bot\'s help flow and back; then an agent', async () => {
    const t = await chat(HELPDESK);
    await t.user('reset my password');
    await t.user('what can you do');
    t.expect(/Pick the account whose password you want to reset.*\nWhich account/s);
    await t.press('VPN');
    await t.user('help');
    t.expect(/I can take care of these/);
    t.expect(/Back to resetting your password\.\nWhere should I send the reset link/);
    await t.user('talk to a human');
    // The agent flow (a hand-off node, no questions) has no flow events; the interrupted flow ends with it.
    expect(t.events()).toEqual(['flow_completed', 'handoff_requested', 'handoff_queued']);
    expect(t.last.events[0]!.detail!.flow).toMatchObject({ id: 'reset_password', status: 'handoff' });
  });
});

describe('did you mean?', () => {
  test('two intents about as likely: the bot asks, and the choice starts the flow with the original words', async () => {
    const t = await chat(HELPDESK);
    await t.user('please reset my wifi password ticket');
    if (t.texts.some((x) => x.startsWith('Did you mean'))) {
      expect(t.options().length).toBe(2);
      await t.press('resetting your password');
    }
    // The account came from the original words ("wifi").
    t.expect(/email address/);
  });

  test('a choice is also understood by its words; anything else is a new request', async () => {
    const t = await chat(SHOWCASE);
    const engine = t.engine;
    // Force the question to be asked: rank two intents as equals.
    (engine.bot.nlu as { ambiguityMargin: number }).ambiguityMargin = 1;
    await t.user('order a pizza track order');
    t.expect('Did you mean one of these?');
    await t.user('the pizza order');
    t.expect('Which size?');
  });
});
