import * as chrono from 'chrono-node';
import { findPhoneNumbersInText, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/min';
import { normalise, words } from '../text.js';

/** Readers of typed values in free text: numbers, dates, e-mail addresses, phone numbers, yes/no. */

const UNITS: Record<string, number> = {
  zero: 0, none: 0, one: 1, a: 1, an: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19,
  couple: 2, dozen: 12,
};
const TENS: Record<string, number> = { twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90 };

/** The first number in the text: digits (`1,200`, `-3.5`) or words up to the thousands ("twenty one"). */
export function readNumber(text: string): number | undefined {
  const digits = /(^|[^\p{L}\p{N}.])(-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?)(?![\p{L}\p{N}])/u.exec(text);
  if (digits) return Number(digits[2]!.replace(/,/g, ''));
  const ws = words(text.replace(/-/g, ' '));
  let total = 0;
  let current = 0;
  let seen = false;
  for (const w of ws) {
    if (w in UNITS && !(w === 'a' || w === 'an') ) {
      current += UNITS[w]!;
      seen = true;
    } else if ((w === 'a' || w === 'an') && !seen) {
      continue;
    } else if (w in TENS) {
      current += TENS[w]!;
      seen = true;
    } else if (w === 'hundred' && seen) {
      current *= 100;
    } else if (w === 'thousand' && seen) {
      total += current * 1000;
      current = 0;
    } else if (w === 'and' && seen) {
      continue;
    } else if (seen) break;
  }
  return seen ? total + current : undefined;
}

/** Making an Intl formatter costs tens of microseconds: one per time zone, kept. */
const dayFormats = new Map<string, Intl.DateTimeFormat>();
const clockFormats = new Map<string, Intl.DateTimeFormat>();
const cached = (cache: Map<string, Intl.DateTimeFormat>, timeZone: string, make: () => Intl.DateTimeFormat) => {
  let f = cache.get(timeZone);
  if (!f) {
    f = make();
    if (cache.size > 500) cache.clear();
    cache.set(timeZone, f);
  }
  return f;
};

/** The last day computed per time zone, valid for its minute (every UTC offset is whole minutes). */
const lastDays = new Map<string, { minute: number; day: string }>();

/** Today in `timeZone` as `YYYY-MM-DD`. Every turn asks; formatting is memoised per minute. */
export function isoDay(at: number, timeZone: string): string {
  const minute = Math.floor(at / 60_000);
  const last = lastDays.get(timeZone);
  if (last !== undefined && last.minute === minute) return last.day;
  const day = cached(dayFormats, timeZone, () => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })).format(at);
  if (lastDays.size > 500) lastDays.clear();
  lastDays.set(timeZone, { minute, day });
  return day;
}

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
/** Is `s` a real calendar day written `YYYY-MM-DD`? */
export function isIsoDay(s: string): boolean {
  const m = ISO_DAY.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

export const addDays = (day: string, n: number): string => {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
};

/** A date bound as authored: `today`, `today+7`, `today-1`, or `YYYY-MM-DD`. */
export function resolveDayBound(bound: string, today: string): string | undefined {
  const rel = /^today\s*([+-])\s*(\d+)$/.exec(bound.trim());
  if (bound.trim() === 'today') return today;
  if (rel) return addDays(today, (rel[1] === '-' ? -1 : 1) * Number(rel[2]));
  return isIsoDay(bound.trim()) ? bound.trim() : undefined;
}

export const isDayBound = (bound: string): boolean => resolveDayBound(bound, '2000-01-01') !== undefined;

/** The first date in the text ("tomorrow", "next Monday", "May 3rd", "2030-01-15"), as `YYYY-MM-DD`. */
export function readDate(text: string, now: number, timeZone: string): string | undefined {
  const trimmed = text.trim();
  if (isIsoDay(trimmed)) return trimmed;
  const results = chrono.en.parse(text, { instant: new Date(now), timezone: offsetMinutes(now, timeZone) }, { forwardDate: true });
  const r = results[0];
  if (!r) return undefined;
  const y = r.start.get('year');
  const m = r.start.get('month');
  const d = r.start.get('day');
  if (y === null || m === null || d === null) return undefined;
  const day = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  return isIsoDay(day) ? day : undefined;
}

/** The UTC offset of `timeZone` at `at`, in minutes (what chrono's `timezone` reference takes). */
function offsetMinutes(at: number, timeZone: string): number {
  const format = cached(clockFormats, timeZone, () => new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' }));
  const parts = format.formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'));
  return Math.round((local - Math.floor(at / 60_000) * 60_000) / 60_000);
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/;
export function readEmail(text: string): string | undefined {
  return EMAIL.exec(text)?.[0].toLowerCase();
}

/** The first phone number, in E.164 (`+14155552671`). */
export function readPhone(text: string, country: string): string | undefined {
  const cc = country as CountryCode;
  const found = findPhoneNumbersInText(text, cc)[0];
  if (found) return found.number.number;
  const whole = parsePhoneNumberFromString(text.trim(), cc);
  return whole?.isValid() ? whole.number : undefined;
}

const YES = new Set(['yes', 'y', 'yeah', 'yep', 'yup', 'ya', 'sure', 'ok', 'okay', 'correct', 'right', 'affirmative', 'absolutely', 'definitely', 'certainly', 'true', 'confirm', 'confirmed', 'agreed', 'indeed']);
const YES_PHRASES = ['of course', 'go ahead', 'please do', 'do it', 'sounds good', 'that is right', 'that is correct', 'yes please', 'why not'];
const NO = new Set(['no', 'n', 'nope', 'nah', 'negative', 'false', 'wrong', 'incorrect', 'never', 'not']);
const NO_PHRASES = ['no thanks', 'no thank you', 'do not', 'rather not', 'not really', 'i would not'];

/** yes → true, no → false, neither or both → undefined. */
export function readYesNo(text: string): boolean | undefined {
  const n = normalise(text);
  if (n === '') return undefined;
  const ws = n.split(' ');
  const padded = ` ${n} `;
  const no = NO_PHRASES.some((p) => padded.includes(` ${p} `)) || ws.some((w) => NO.has(w));
  const yes = YES_PHRASES.some((p) => padded.includes(` ${p} `)) || ws.some((w) => YES.has(w));
  if (no && !yes) return false;
  if (yes && !no) return true;
  // "yes, no problem": the first word decides.
  if (yes && no) return YES.has(ws[0]!) ? true : NO.has(ws[0]!) ? false : undefined;
  return undefined;
}
