/**
 * Forms: the Aisera seed's form sample (every field type) delivered whole or field by field, submitted
 * typed (Aisera) or as text (the Kore Web SDK), and every kind of validation failure.
 */
import { describe, expect, test } from 'vitest';
import { chat, fixture, FULL_FORMS, KORE } from './support/chat.js';

const SHOWCASE = fixture('showcase');

/** The seed's "Form Submit Requests" sample, verbatim (seeds/000_73c05e295494aed7.txt). */
const SEED_VALUES = {
  simpleStringSample: 'Quick brown fox',
  textAreaSample: 'The quick brown fox jumps over the lazy dog.',
  dateSample: '2021-11-17',
  dropdownSample: 'option3',
  radiosSample: 'option2',
  multiSelectCheckboxesSample: ['check1', 'check2'],
  numberSample: 6,
  booleanSample: true,
};

describe('a client that renders every field type (Aisera)', () => {
  test('one form with the eight field types; the seed sample is accepted as is', async () => {
    const t = await chat(SHOWCASE, { capabilities: FULL_FORMS });
    await t.user('fill the sample form');
    const form = t.form();
    expect(form.fields.map((f) => [f.name, f.type])).toEqual([
      ['simpleStringSample', 'text'],
      ['textAreaSample', 'textarea'],
      ['dateSample', 'date'],
      ['dropdownSample', 'dropdown'],
      ['radiosSample', 'radio'],
      ['multiSelectCheckboxesSample', 'checkboxes'],
      ['numberSample', 'number'],
      ['booleanSample', 'boolean'],
    ]);
    expect(form).toMatchObject({ title: 'Sample form', submitLabel: 'Submit', id: expect.stringMatching(/^fm-/) });
    expect(form.fields[5]).toMatchObject({ options: [{ value: 'check1', label: 'Mouse' }, { value: 'check2', label: 'Dock' }, { value: 'check3', label: 'Bag' }] });
    expect(t.events()).toEqual(['flow_started', 'form_delivered', 'waiting_for_user_input']);
    expect(t.last.events[1]!.detail).toEqual({ form: { id: form.id } });
    await t.submit(SEED_VALUES, true);
    expect(t.last.events[0]).toEqual({ name: 'form_submitted', detail: { form: { id: form.id } } });
    t.expect('Got Quick brown fox, 2021-11-17, option3, option2, [check1, check2], 6, urgent yes.');
  });

  test('typed values must have their type: a numeric string, an unknown option, a bad date, duplicates, an unknown field', async () => {
    const t = await chat(SHOWCASE, { capabilities: FULL_FORMS });
    await t.user('sample form');
    const id = t.form().id;
    await t.submit({ ...SEED_VALUES, numberSample: '6', dropdownSample: 'option9', dateSample: '2021-02-30', multiSelectCheckboxesSample: ['check1', 'check1'], booleanSample: 'yes', extra: 'x' } as never, true);
    const failure = t.last.events.find((e) => e.name === 'form_failure')!;
    expect(failure.detail!.form!.id).toBe(id);
    expect(failure.detail!.form!.errors!.map((e) => e.field).sort()).toEqual(['booleanSample', 'dateSample', 'dropdownSample', 'extra', 'multiSelectCheckboxesSample', 'numberSample']);
    t.expect(/"Quantity" must be a number/);
    // This client keeps its form after a failed submission: only the errors are said, nothing is sent again.
    expect(t.last.contents.some((c) => c.type === 'form')).toBe(false);
    expect(t.events()).toEqual(['form_failure', 'waiting_for_user_input']);
  });

  test('required fields, bounds and lengths; optional fields take their default; a stale form id is refused', async () => {
    const t = await chat(SHOWCASE, { capabilities: FULL_FORMS });
    await t.user('sample form');
    await t.user({ text: '', form: { formId: 'fm-old', values: SEED_VALUES, typed: true } });
    t.expect(/older form/);
    expect(t.events()).toEqual(['waiting_for_user_input']);
    await t.submit({ simpleStringSample: '', numberSample: 11, dateSample: '2021-10-01' }, true);
    t.expect(/Please fill in "Summary"/);
    t.expect(/Quantity: It must be at most 10/);
    t.expect(/Needed by: The date must be on or after 2021-11-01/);
    // Second failure: the form allows one retry, so the flow gives up.
    await t.submit({ simpleStringSample: 'x'.repeat(201) }, true);
    t.expect(/still didn't get that/);
    expect(t.last.events.at(-1)).toMatchObject({ name: 'flow_completed', detail: { flow: { status: 'failed' } } });
  });

  test('only the required fields: the others get their defaults', async () => {
    const t = await chat(SHOWCASE, { capabilities: FULL_FORMS });
    await t.user('sample form');
    await t.submit({ simpleStringSample: 'Just this' }, true);
    t.expect('Got Just this, , , , [], , urgent no.');
  });
});

describe('the Kore Web SDK (forms of text-like fields, values as text)', () => {
  test('the other fields are asked one by one, in the author\'s order, around one form', async () => {
    const t = await chat(SHOWCASE, { capabilities: KORE });
    await t.user('sample form');
    expect(t.form().fields.map((f) => f.name)).toEqual(['simpleStringSample', 'textAreaSample', 'dateSample', 'numberSample']);
    await t.submit({ simpleStringSample: 'Laptop', textAreaSample: 'For the new hire', dateSample: 'tomorrow', numberSample: '7' });
    expect(t.events()).toEqual(['form_submitted', 'waiting_for_user_input']);
    expect(t.options()).toEqual(['option1', 'option2', 'option3']);
    t.expect(/Model \(or say "skip"\)/);
    await t.user('the third one');
    await t.user('option 2');
    t.expect(/Accessories/);
    expect(t.options()).toEqual(['Mouse', 'Dock', 'Bag']);
    await t.user('mouse and bag');
    t.expect(/Urgent/);
    expect(t.options()).toEqual(['Yes', 'No']);
    await t.user('no');
    t.expect('Got Laptop, 2030-01-15, option3, option2, [check1, check3], 7, urgent no.');
  });

  test('a failed submission is explained and the form sent again (the SDK hides a submitted form)', async () => {
    const t = await chat(SHOWCASE, { capabilities: KORE });
    await t.user('sample form');
    const first = t.form().id;
    await t.submit({ simpleStringSample: 'x', textAreaSample: 'y', dateSample: 'someday', numberSample: '1' });
    expect(t.events()).toEqual(['form_failure', 'form_delivered', 'waiting_for_user_input']);
    t.expect(/"Needed by" must be a date/);
    expect(t.form().id).not.toBe(first);
  });

  test('text typed while a form is open points at the form; an answer to a field can be skipped', async () => {
    const t = await chat(SHOWCASE, { capabilities: KORE });
    await t.user('sample form');
    await t.user('hmm');
    t.expect('Please fill in the form above, or say "cancel".');
    expect(t.events()).toEqual(['waiting_for_user_input']);
    await t.submit({ simpleStringSample: 'a', textAreaSample: 'b', dateSample: '2030-03-01', numberSample: '2' });
    await t.user('skip');
    t.expect(/Priority/);
  });
});

describe('a client without forms', () => {
  test('every field on its own, with validation per field', async () => {
    const t = await chat(SHOWCASE, { capabilities: {} });
    await t.user('sample form');
    t.expect('Summary');
    expect(t.events()).toEqual(['flow_started', 'waiting_for_user_input']);
    await t.user('A new monitor');
    t.expect(/Details \(or say "skip"\)/);
    await t.user('skip');
    await t.user('2021-01-01');
    t.expect(/The date must be on or after 2021-11-01\.\nNeeded by/);
  });
});
