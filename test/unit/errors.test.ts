/**
 * The error table (src/core/errors.ts): every code has a real HTTP status, a close code the wire allows,
 * and a close code whose range tells a client whether to reconnect.
 */
import { STATUS_CODES } from 'node:http';
import { describe, expect, test } from 'vitest';
import { CoreError, ERRORS, isCoreError, toCoreError, type ErrorCode } from '../../src/core/errors.js';

/**
 * The standard close codes the seed document lists for Kore RTM (1005/1006 are never sent by a server), plus
 * 1003 (unsupported data), which the Aisera channel answers a binary frame with (docs/protocols/aisera.md).
 */
const SEED_CLOSE_CODES = [1001, 1002, 1003, 1007, 1008, 1009, 1011];
const codes = Object.keys(ERRORS) as ErrorCode[];

const offenders = (bad: (spec: (typeof ERRORS)[ErrorCode]) => boolean): ErrorCode[] => codes.filter((c) => bad(ERRORS[c]));

describe('every row of the table', () => {
  test('has a real HTTP error status (4xx/5xx)', () => {
    expect(offenders((s) => !Number.isInteger(s.http) || s.http < 400 || s.http > 599 || STATUS_CODES[s.http] === undefined)).toEqual([]);
  });

  test('closes with nothing, a standard code the seed lists, or an application code in 4000–4999', () => {
    expect(offenders((s) => s.close !== null && !SEED_CLOSE_CODES.includes(s.close) && !(s.close >= 4000 && s.close <= 4999))).toEqual([]);
  });

  test('with an application close code, says whether to reconnect: 4000–4499 retryable, 4500–4999 not', () => {
    const application = codes.filter((c) => (ERRORS[c].close ?? 0) >= 4000);
    expect(application.length).toBeGreaterThan(0);
    expect(application.filter((c) => ERRORS[c].retryable !== ERRORS[c].close! < 4500)).toEqual([]);
  });

  test('has a message', () => {
    expect(offenders((s) => s.message.trim().length === 0)).toEqual([]);
  });

  test('uses an UPPER_SNAKE code', () => {
    expect(codes.filter((c) => !/^[A-Z][A-Z0-9_]*$/.test(c))).toEqual([]);
  });
});

describe('the Kore close codes (seed "WebSocket Error Scenarios")', () => {
  test.each([
    ['PROTOCOL_VIOLATION', 1002],
    ['INVALID_PAYLOAD', 1007],
    ['RATE_LIMITED', 1008],
    ['BOT_SUSPENDED', 1008],
    ['USER_BLOCKED', 1008],
    ['PAYLOAD_TOO_LARGE', 1009],
    ['INTERNAL', 1011],
    ['SHUTTING_DOWN', 1001],
  ] as const)('%s closes with %i', (code, close) => {
    expect(ERRORS[code].close).toBe(close);
  });

  test('a slow consumer is told to reconnect and resume', () => {
    expect(ERRORS.SLOW_CONSUMER).toMatchObject({ retryable: true });
    expect(ERRORS.SLOW_CONSUMER.close).toBeGreaterThanOrEqual(4000);
    expect(ERRORS.SLOW_CONSUMER.close).toBeLessThan(4500);
  });

  test('a malformed frame gets an error frame, not a close', () => {
    expect(ERRORS.MALFORMED_FRAME.close).toBeNull();
  });

  test('an expired access token answers "token expired" so the SDK re-authenticates (§C.2)', () => {
    expect(ERRORS.TOKEN_EXPIRED).toMatchObject({ http: 401, message: 'token expired', retryable: true });
  });
});

describe('CoreError', () => {
  test('carries its code, the table row, a message and data', () => {
    const e = new CoreError('RATE_LIMITED', undefined, { retryAfterMs: 5 });
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ name: 'CoreError', code: 'RATE_LIMITED', spec: ERRORS.RATE_LIMITED, message: ERRORS.RATE_LIMITED.message, data: { retryAfterMs: 5 } });
    expect(new CoreError('BAD_REQUEST', '"botId" is required').message).toBe('"botId" is required');
  });

  test('anything else thrown becomes INTERNAL', () => {
    const known = new CoreError('NOT_FOUND');
    expect(toCoreError(known)).toBe(known);
    expect(toCoreError(new Error('boom')).code).toBe('INTERNAL');
    expect(toCoreError('a string').code).toBe('INTERNAL');
    expect(isCoreError(known)).toBe(true);
    expect(isCoreError({ code: 'NOT_FOUND' })).toBe(false);
  });
});
