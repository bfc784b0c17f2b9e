/**
 * Serialised forms of values that never change, computed once. The dialog engine says the contents of a
 * message node without variables as the same frozen objects every turn (dialog/flow/content.ts); the log and
 * the protocol encoders serialise such a value once instead of at every message. Only frozen objects are
 * memoised, by identity, and only a bounded number of them.
 */
export class FixedMemo<V> {
  private readonly memo = new Map<object, V>();

  constructor(
    private readonly compute: (value: object) => V,
    private readonly max = 1024,
  ) {}

  /** The memoised form of a frozen object; `undefined` for anything else (serialise it yourself). */
  get(value: object): V | undefined {
    if (!Object.isFrozen(value)) return undefined;
    let v = this.memo.get(value);
    if (v === undefined) {
      v = this.compute(value);
      if (this.memo.size >= this.max) this.memo.delete(this.memo.keys().next().value!);
      this.memo.set(value, v);
    }
    return v;
  }
}
