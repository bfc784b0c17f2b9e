import { DEDUPE_WINDOW } from '../../core/ports/store.js';

/**
 * The dedupe window of one conversation: the (origin hash, seq) of its newest user-originated entries.
 * A client that re-sends a message (same device, same client message id) does so within seconds, so the
 * window is what the port promises ({@link ORIGIN_WINDOW} entries); a hash match is always confirmed
 * against the stored entry, so a collision costs a read, never a lost message.
 */
export const ORIGIN_WINDOW = DEDUPE_WINDOW;

export class OriginRing {
  /** Plain arrays (on the JS heap, grown as needed): a ring per cached conversation must stay cheap. */
  private readonly hashes: number[] = [];
  private readonly seqs: number[] = [];
  private next = 0;

  add(hash: number, seq: number): void {
    this.hashes[this.next] = hash;
    this.seqs[this.next] = seq;
    this.next = (this.next + 1) % ORIGIN_WINDOW;
  }

  /** Seqs whose origin hash is `hash`, newest first. */
  candidates(hash: number): number[] {
    const out: number[] = [];
    const n = this.hashes.length;
    for (let i = 1; i <= n; i++) {
      const k = (this.next - i + n) % n;
      if (this.hashes[k] === hash) out.push(this.seqs[k]!);
    }
    return out;
  }
}

/** 32-bit FNV-1a of an origin key. */
export function originHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
