/**
 * The demo IT helpdesk, turn by turn, against a real ticket service over HTTP (a local server on a
 * throw-away database): welcome, password reset (prompt + confirm), hardware request (a form), tickets
 * created and looked up, interruptions, go back / start over / cancel, talking to an agent.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/core/memory/clock.js';
import { chat, FULL_FORMS, HELPDESK, KORE, MONDAY } from './support/chat.js';
import { startTicketServer, type TestHttpServer } from './support/ticket-server.js';

let tickets: TestHttpServer;
beforeAll(async () => {
  tickets = await startTicketServer(new ManualClock(MONDAY));
});
afterAll(() => tickets.close());

const helpdesk = (opts: Parameters<typeof chat>[1] = {}) =>
  chat(HELPDESK, { serverUrl: tickets.url, secrets: { HELPDESK_TOKEN: tickets.token }, ...opts });

describe('welcome and small talk', () => {
  test('a new window is greeted with the menu', async () => {
    const t = await helpdesk();
    await t.open();
    t.expect(/Colloquy IT helpdesk/);
    expect(t.options()).toEqual(['Reset a password', 'Request hardware', 'Create a ticket', 'Check a ticket', 'Talk to an agent']);
  });

  test('hello, thanks, bye', async () => {
    const t = await helpdesk();
    await t.user('hello');
    t.expect(/^Hello! How can I help you today\?/);
    await t.user('thanks a lot!');
    t.expect(/You're welcome/);
    await t.user('bye for now');
    t.expect(/Goodbye/);
  });

  test('help lists what the bot does, as buttons', async () => {
    const t = await helpdesk();
    await t.user('what can you do?');
    t.expect(/I can take care of these/);
    expect(t.options()).toContain('Show my tickets');
  });

  test('something it does not know: a fallback with suggestions', async () => {
    const t = await helpdesk();
    await t.user('what is the weather on mars');
    t.expect(/Sorry, I didn't catch that/);
    expect(t.options()).toContain('Reset a password');
  });
});

describe('reset a password (prompt + confirm)', () => {
  test('asks which account, for an email, confirms, and remembers the email next time', async () => {
    const t = await helpdesk();
    await t.user('reset my password');
    t.expect(/which account/i);
    expect(t.options()).toEqual(['Windows login', 'Email', 'VPN', 'Wi-Fi']);
    expect(t.events()).toEqual(['flow_started', 'waiting_for_user_input']);
    await t.press('VPN');
    t.expect(/email address/);
    await t.user('it is jane.doe@example.com');
    t.expect('Reset the password of your VPN account and send the link to jane.doe@example.com?');
    await t.press('Yes, reset it');
    t.expect(/reset link for your VPN account is on its way to jane.doe@example.com/);
    expect(t.events()).toEqual(['flow_completed']);
    // The address is a user variable: the next reset does not ask for it.
    await t.user('I forgot my outlook password');
    t.expect('Reset the password of your Email account and send the link to jane.doe@example.com?');
    await t.user('no');
    t.expect(/left your password as it is/);
  });

  test('the account comes from the request itself when it names one', async () => {
    const t = await helpdesk();
    await t.user('please reset my wifi password');
    t.expect(/email address/);
  });

  test('a wrong email is asked again, and after too many tries the flow gives up', async () => {
    const t = await helpdesk();
    await t.user('reset my password');
    await t.user('email');
    await t.user('my address is jane at example');
    t.expect(/does not look like an email address/);
    expect(t.events()).toEqual(['waiting_for_user_input']);
    await t.user('still no address');
    t.expect(/does not look like an email address/);
    await t.user('nope');
    t.expect(/still didn't get that/);
    expect(t.last.events.at(-1)).toMatchObject({ name: 'flow_completed', detail: { flow: { id: 'reset_password', status: 'failed' } } });
  });
});

describe('hardware request (a form)', () => {
  test('in the Kore channel: the device as quick replies, then one form, then yes/no; the ticket is created over HTTP', async () => {
    const t = await helpdesk({ capabilities: KORE });
    await t.user('I need a new laptop');
    t.expect(/Which device do you need/);
    await t.press('Laptop');
    const form = t.form();
    expect(form.fields.map((f) => [f.name, f.type])).toEqual([
      ['quantity', 'number'],
      ['neededBy', 'date'],
      ['reason', 'textarea'],
    ]);
    expect(t.events()).toEqual(['form_delivered', 'waiting_for_user_input']);
    await t.submit({ quantity: '2', neededBy: 'on friday', reason: 'New hires in the team' });
    expect(t.events()).toContain('form_submitted');
    t.expect(/Is it urgent/);
    await t.press('Yes');
    t.expect('2 × Laptop, needed by 2030-01-18 (high priority). Shall I send the request?');
    await t.press('Send it');
    t.expect(/Your request is in as ticket HD-\d+/);
    const created = tickets.requests.filter((r) => r.line === 'POST /api/helpdesk/tickets').at(-1)!;
    expect(created.authorization).toBe(`Bearer ${tickets.token}`);
    expect(created.body).toMatchObject({ requester: 'u-1', category: 'hardware', summary: '2 × Laptop', priority: 'high', neededBy: '2030-01-18' });
  });

  test('a client that renders every field gets one form with all fields, typed values', async () => {
    const t = await helpdesk({ capabilities: FULL_FORMS });
    await t.user('order a monitor');
    expect(t.form().fields.map((f) => f.name)).toEqual(['item', 'quantity', 'neededBy', 'reason', 'urgent']);
    await t.submit({ item: 'Monitor', quantity: 1, neededBy: '2030-02-01', reason: 'Second screen', urgent: false }, true);
    t.expect('1 × Monitor, needed by 2030-02-01 (normal priority). Shall I send the request?');
  });

  test('a failed submission says what is wrong (form_failure) and the form comes again', async () => {
    const t = await helpdesk({ capabilities: KORE });
    await t.user('request hardware');
    await t.press('Headset');
    await t.submit({ quantity: '12', neededBy: '2020-01-01', reason: 'x' });
    expect(t.events()).toEqual(['form_failure', 'form_delivered', 'waiting_for_user_input']);
    const failure = t.last.events[0]!.detail!.form!;
    expect(failure.errors!.map((e) => e.field)).toEqual(['quantity', 'neededBy']);
    t.expect(/Quantity: It must be at most 5/);
    t.expect(/Needed by: The date cannot be in the past/);
    expect(t.form().fields).toHaveLength(3);
    await t.submit({ quantity: '1', neededBy: 'tomorrow', reason: 'My old one broke' });
    t.expect(/Is it urgent/);
  });

  test('without forms, every field is asked on its own', async () => {
    const t = await helpdesk({ capabilities: {} });
    await t.user('i need a new keyboard');
    t.expect(/Which device/);
    await t.user('keybord');
    t.expect(/How many/);
    await t.user('two');
    t.expect(/By when/);
    await t.user('in three days');
    t.expect(/What do you need it for/);
    await t.user('the old one lost some keys');
    t.expect(/Is it urgent/);
    await t.user('not really');
    t.expect('2 × Keyboard, needed by 2030-01-17 (normal priority). Shall I send the request?');
  });
});

describe('tickets', () => {
  test('create a ticket, then check its status and list them', async () => {
    const t = await helpdesk();
    await t.user('my printer is broken');
    t.expect(/Tell me in a sentence what is wrong/);
    await t.user('The printer on floor 2 jams on every page');
    t.expect(/How urgent/);
    await t.press('High');
    t.expect('Open a high priority ticket: "The printer on floor 2 jams on every page"?');
    await t.press('Open it');
    t.expect(/Ticket HD-\d+ is open/);
    const id = /HD-\d+/.exec(t.texts.join(' '))![0];

    await t.user(`what is the status of ${id}`);
    t.expect(`Ticket ${id} (incident): "The printer on floor 2 jams on every page" is open, high priority, opened 2030-01-14.`);

    await t.user('show my tickets');
    t.expect(new RegExp(`<list Your tickets: ${id}: The printer on floor 2`));
  });

  test('an unknown ticket number is said so (the service answers 404)', async () => {
    const t = await helpdesk();
    await t.user('check my ticket');
    t.expect(/ticket number/);
    await t.user('HD-999999');
    t.expect('I could not find a ticket HD-999999 of yours. Say "show my tickets" to see them.');
  });

  test('no secret in the logs: the HTTP node logs the service and status only', async () => {
    const t = await helpdesk();
    await t.user('status of HD-1001');
    const http = t.logs.filter((l) => l.includes('dialog.http'));
    expect(http.length).toBeGreaterThan(0);
    for (const l of t.logs) {
      expect(l).not.toContain(tickets.token);
      expect(l).not.toContain('requester=');
    }
  });
});

describe('navigation and interruptions', () => {
  test('go back re-asks the previous question; start over begins again; cancel stops', async () => {
    const t = await helpdesk();
    await t.user('create a ticket');
    await t.user('Outlook crashes when I open attachments');
    t.expect(/How urgent/);
    await t.user('go back');
    t.expect(/Tell me in a sentence what is wrong/);
    await t.user('Outlook crashes on every attachment');
    await t.user('low');
    t.expect('Open a low priority ticket: "Outlook crashes on every attachment"?');
    await t.user('start over');
    t.expect(/Let's start over/);
    t.expect(/Tell me in a sentence what is wrong/);
    expect(t.events()).toEqual(['flow_completed', 'flow_started', 'waiting_for_user_input']);
    await t.user('cancel');
    t.expect(/I stopped that/);
    await t.user('go back');
    t.expect(/no earlier step/);
  });

  test('another request in the middle of a flow runs, then the first one resumes where it was', async () => {
    const t = await helpdesk();
    await t.user('reset my password');
    t.expect(/Which account/);
    await t.user('actually, what is the status of ticket HD-1001?');
    t.expect(/HD-1001/);
    t.expect(/Back to resetting your password/);
    t.expect(/Which account/);
    await t.user('email');
    t.expect(/email address/);
  });

  test('talk to an agent: the hand-off signal, from anywhere', async () => {
    const t = await helpdesk();
    await t.user('request hardware');
    await t.user('I want to talk to a real person');
    t.expect(/connecting you with a human agent/);
    expect(t.last.events.map((e) => e.name)).toEqual(['flow_completed', 'handoff_requested', 'handoff_queued']);
    expect(t.last.events[1]!.detail).toEqual({ handoff: { queue: 'it-support', reason: 'user asked for a human' } });
    expect((await t.dialog()) as { stack: unknown[] }).toMatchObject({ stack: [] });
  });

  test('nobody from IT support comes within 5 minutes: the bot says so and offers a ticket', async () => {
    const t = await helpdesk();
    await t.user('talk to an agent');
    await t.user('hello? anyone?');
    expect(t.texts).toEqual([]);
    await t.wait(5 * 60_000);
    expect(t.last.events.map((e) => e.name)).toContain('agent_session_end');
    t.expect(/no agent is free right now/);
    t.expect(/open a support ticket instead/);
    await t.user('yes');
    t.expect(/what is wrong/);
  });

  test('an agent completes the chat: the bot is back', async () => {
    const t = await helpdesk();
    await t.user('talk to an agent');
    const [waiting] = await t.desk.open();
    await t.desk.pickUp({ id: 'ag-dana', name: 'Dana' }, waiting!.handoffId);
    await t.desk.complete({ id: 'ag-dana', name: 'Dana' }, waiting!.handoffId);
    await t.user('reset my password');
    t.expect(/Which account/);
  });
});
