/**
 * Understanding without a network or a model: normalisation, synonyms, stemming, typo tolerance, the
 * ranking, and the entity readers (numbers, dates, e-mail, phone, yes/no, choices, patterns).
 */
import { describe, expect, test } from 'vitest';
import { IntentClassifier } from '../../src/dialog/nlu/classifier.js';
import { ChoiceMatcher, readEntity } from '../../src/dialog/nlu/entities/index.js';
import { isoDay, readDate, readEmail, readNumber, readPhone, readYesNo, resolveDayBound } from '../../src/dialog/nlu/entities/values.js';
import { editDistance, Vocabulary } from '../../src/dialog/nlu/fuzzy.js';
import { SystemCommands, SYSTEM_COMMANDS } from '../../src/dialog/nlu/system.js';
import { normalise, Synonyms } from '../../src/dialog/nlu/text.js';
import { MONDAY } from './support/chat.js';

describe('text', () => {
  test('normalise: case, accents, contractions, punctuation', () => {
    expect(normalise("I CAN'T log-in to Outlook — it's Café time!")).toBe('i can not log in to outlook it cafe time');
    expect(normalise("won't  don't I'm")).toBe('will not do not i am');
  });

  test('normalise: plain ASCII (the fast path) reads as the Unicode path does', () => {
    // The same words with a non-ASCII character at the end take the full path; both must agree.
    const samples = ['Hi there!!', 'reset_my-password   NOW', "it's 9:30, isn't it?", 'HD-1001 status?', '  a\tb\nc  ', '¿', ''];
    for (const s of samples) expect(normalise(`${s} é`)).toBe(`${normalise(s)} e`.trim());
  });

  test('synonyms replace multi-word variants, matched by stem', () => {
    const s = new Synonyms({ broken: ['not working', 'crashes'], laptop: ['notebook'] });
    expect(s.apply(['my', 'notebooks', 'keep', 'crashing'])).toEqual(['my', 'laptop', 'keep', 'broken']);
    expect(s.apply(['wifi', 'is', 'not', 'working'])).toEqual(['wifi', 'is', 'broken']);
    // Built in: "log in" is "login", "pwd" is "password".
    expect(s.apply(['log', 'in', 'pwd'])).toEqual(['login', 'password']);
  });
});

describe('typos', () => {
  test('edit distance counts a swap of neighbours as one edit', () => {
    expect(editDistance('tikcet', 'ticket', 2)).toBe(1);
    expect(editDistance('pasword', 'password', 2)).toBe(1);
    expect(editDistance('abc', 'xyz', 1)).toBe(2);
  });

  test('a vocabulary corrects unknown words within the allowed edits, keeping the first letter', () => {
    const v = new Vocabulary(new Map([['password', 3], ['ticket', 5], ['hello', 2], ['help', 4], ['stop', 1]]));
    expect(v.correct('pasword')).toBe('password');
    expect(v.correct('tikcet')).toBe('ticket');
    expect(v.correct('helo')).toBe('hello');
    expect(v.correct('shop')).toBeUndefined();
    expect(v.correct('sing')).toBeUndefined();
    expect(v.correct('ticket')).toBeUndefined();
    expect(v.correct('xyzzy')).toBeUndefined();
  });
});

describe('the intent classifier', () => {
  const examples = new Map([
    ['reset_password', ['reset my password', 'i forgot my password', 'my account is locked']],
    ['order_laptop', ['i need a new laptop', 'order a laptop', 'get me a computer']],
    ['greet', ['hello', 'hi', 'good morning']],
  ]);
  const c = new IntentClassifier(examples, new Synonyms({ laptop: ['notebook'] }));
  const best = (text: string) => c.rank(c.analyse(text))[0];

  test('ranks by meaning words, with synonyms and typos', () => {
    expect(best('could you please reset the pasword of my account')?.intent).toBe('reset_password');
    expect(best('I would like a new notebook')?.intent).toBe('order_laptop');
    expect(best('helo')?.intent).toBe('greet');
  });

  test('scores are in [0, 1]; an exact example scores high, unrelated words nothing', () => {
    expect(best('order a laptop')!.score).toBeGreaterThan(0.9);
    expect(c.rank(c.analyse('the quick brown fox'))).toEqual([]);
  });

  test('pattern markers stand for their values', () => {
    const m = new IntentClassifier(new Map([['status', ['status of T-100']], ['other', ['status report']]]), new Synonyms({}), true, [{ name: 'ticket', re: /\bT-\d+\b/ }]);
    expect(m.rank(m.analyse('status of T-987'))[0]?.intent).toBe('status');
  });
});

describe('system commands', () => {
  const commands = new SystemCommands(SYSTEM_COMMANDS);
  test('exact after polite filler; a sentence containing the word is not a command', () => {
    expect(commands.match('ok, go back please')).toBe('goBack');
    expect(commands.match('Start over!')).toBe('startOver');
    expect(commands.match('I want to cancel')).toBe('cancel');
    expect(commands.match('help me')).toBe('help');
    expect(commands.match('the printer is back online')).toBeUndefined();
    expect(commands.match('stop the printer from jamming')).toBeUndefined();
  });
});

describe('entities', () => {
  const ctx = { now: MONDAY, timeZone: 'UTC', country: 'US' };

  test('numbers: digits and words', () => {
    expect(readNumber('I need 3 of them')).toBe(3);
    expect(readNumber('1,200 units')).toBe(1200);
    expect(readNumber('-2.5')).toBe(-2.5);
    expect(readNumber('twenty one')).toBe(21);
    expect(readNumber('a dozen')).toBe(12);
    expect(readNumber('two hundred and five')).toBe(205);
    expect(readNumber('none at all')).toBe(0);
    expect(readNumber('nothing here')).toBeUndefined();
  });

  test('dates: relative and absolute, as YYYY-MM-DD in the bot\'s time zone', () => {
    expect(readDate('tomorrow', MONDAY, 'UTC')).toBe('2030-01-15');
    expect(readDate('next Monday', MONDAY, 'UTC')).toBe('2030-01-21');
    expect(readDate('on friday', MONDAY, 'UTC')).toBe('2030-01-18');
    expect(readDate('2030-02-28', MONDAY, 'UTC')).toBe('2030-02-28');
    expect(readDate('March 3rd', MONDAY, 'UTC')).toBe('2030-03-03');
    // 10:00 UTC on Monday is already Tuesday in Kiritimati (UTC+14): "tomorrow" is Wednesday there.
    expect(readDate('tomorrow', MONDAY, 'Pacific/Kiritimati')).toBe('2030-01-16');
    expect(readDate('whenever', MONDAY, 'UTC')).toBeUndefined();
    expect(resolveDayBound('today+7', '2030-01-14')).toBe('2030-01-21');
    expect(resolveDayBound('today-1', '2030-01-01')).toBe('2029-12-31');
  });

  test('e-mail, phone, yes/no', () => {
    expect(readEmail('write to Jane.Doe@Example.COM please')).toBe('jane.doe@example.com');
    expect(readEmail('jane at example')).toBeUndefined();
    expect(readPhone('call +44 20 7946 0958', 'US')).toBe('+442079460958');
    expect(readPhone('(415) 555-2671', 'US')).toBe('+14155552671');
    expect(readPhone('12', 'US')).toBeUndefined();
    expect(readYesNo('yes please')).toBe(true);
    expect(readYesNo('Sure, go ahead')).toBe(true);
    expect(readYesNo('no thanks')).toBe(false);
    expect(readYesNo("I don't think so")).toBe(false);
    expect(readYesNo('maybe')).toBeUndefined();
  });

  test('choices: payload, label, synonym, position, inside a sentence, a typo; several at once', () => {
    const m = new ChoiceMatcher([
      { value: 'dock', label: 'Docking station', synonyms: ['dock'] },
      { value: 'mouse', label: 'Mouse' },
      { value: 'station', label: 'Station' },
    ]);
    expect(m.one('dock')?.value).toBe('dock');
    expect(m.one('Docking Station')?.value).toBe('dock');
    expect(m.one('the second one')?.value).toBe('mouse');
    expect(m.one('3')?.value).toBe('station');
    expect(m.one('last')?.value).toBe('station');
    expect(m.one('I think the docking station')?.value).toBe('dock');
    expect(m.one('mosue')?.value).toBe('mouse');
    expect(m.one('mouse or station')).toBeUndefined();
    expect(m.many('mouse and the docking station')?.map((o) => o.value)).toEqual(['mouse', 'dock']);
    expect(m.many('none')).toEqual([]);
    expect(m.many('mouse, keyboard')).toBeUndefined();
  });

  test('readEntity checks constraints after reading', () => {
    expect(readEntity({ kind: 'number' }, 'seven', ctx, { max: 5 })).toEqual({ ok: false, reason: 'invalid', message: 'It must be at most 5.' });
    expect(readEntity({ kind: 'number' }, 'four', ctx, { max: 5 })).toEqual({ ok: true, value: 4, shown: '4' });
    expect(readEntity({ kind: 'date' }, 'yesterday', ctx, { min: 'today' })).toMatchObject({ ok: false, reason: 'invalid' });
    expect(readEntity({ kind: 'regex', re: /\bHD-?(\d{4})\b/i, format: 'HD-$1' }, 'ticket hd1234', ctx)).toEqual({ ok: true, value: 'HD-1234', shown: 'HD-1234' });
    expect(readEntity({ kind: 'text' }, 'hi', ctx, { minLength: 5 })).toMatchObject({ ok: false, reason: 'invalid' });
    expect(readEntity({ kind: 'email' }, 'nope', ctx)).toEqual({ ok: false, reason: 'unrecognised' });
  });
});

test('today changes at local midnight, also in zones with odd offsets and when asked every minute', () => {
  // 2026-03-01 00:00 in Kathmandu (UTC+5:45) is 2026-02-28 18:15 UTC.
  const midnight = Date.UTC(2026, 1, 28, 18, 15);
  expect(isoDay(midnight - 1, 'Asia/Kathmandu')).toBe('2026-02-28');
  expect(isoDay(midnight - 1, 'Asia/Kathmandu')).toBe('2026-02-28');
  expect(isoDay(midnight, 'Asia/Kathmandu')).toBe('2026-03-01');
  expect(isoDay(midnight, 'UTC')).toBe('2026-02-28');
  expect(isoDay(midnight + 59_999, 'Asia/Kathmandu')).toBe('2026-03-01');
});
