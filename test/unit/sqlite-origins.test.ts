import { describe, expect, test } from 'vitest';
import { ORIGIN_WINDOW, OriginRing, originHash } from '../../src/storage/sqlite/origins.js';

describe('the dedupe window of a conversation', () => {
  test('finds the seqs of a hash, newest first, before and after the ring wraps', () => {
    const ring = new OriginRing();
    ring.add(7, 1);
    ring.add(9, 2);
    ring.add(7, 3);
    expect(ring.candidates(7)).toEqual([3, 1]);
    expect(ring.candidates(8)).toEqual([]);
    for (let seq = 4; seq < 4 + ORIGIN_WINDOW; seq++) ring.add(seq === 20 ? 7 : 1000 + seq, seq);
    expect(ring.candidates(7)).toEqual([20]); // seqs 1 and 3 fell out of the window
    expect(ring.candidates(1000 + 4 + ORIGIN_WINDOW - 1)).toEqual([4 + ORIGIN_WINDOW - 1]);
  });

  test('hashes are stable 32-bit values that tell keys apart', () => {
    expect(originHash('d-1\u00001')).toBe(originHash('d-1\u00001'));
    expect(originHash('d-1\u00001')).not.toBe(originHash('d-1\u00002'));
    expect(originHash('x')).toBeGreaterThanOrEqual(0);
    expect(originHash('x')).toBeLessThan(2 ** 32);
  });
});
