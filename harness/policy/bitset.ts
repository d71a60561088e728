// Fixed-size bit sets over equivalence-class indexes. The matrix engine works on these so that
// "which classes does this peer match" and "which destinations may this source reach" are word
// operations instead of pod-by-pod loops.

export class Bitset {
  readonly size: number;
  readonly words: Uint32Array;

  constructor(size: number, words?: Uint32Array) {
    this.size = size;
    this.words = words ?? new Uint32Array((size + 31) >>> 5);
  }

  static full(size: number): Bitset {
    const b = new Bitset(size);
    b.words.fill(0xffffffff);
    b.trim();
    return b;
  }

  static of(size: number, indexes: Iterable<number>): Bitset {
    const b = new Bitset(size);
    for (const i of indexes) b.set(i);
    return b;
  }

  /** Clears the bits past `size` so that counts and equality stay exact after a fill or a complement. */
  private trim(): void {
    const extra = this.words.length * 32 - this.size;
    if (extra > 0 && this.words.length > 0) this.words[this.words.length - 1]! &= 0xffffffff >>> extra;
  }

  clone(): Bitset {
    return new Bitset(this.size, this.words.slice());
  }

  set(i: number): void {
    this.words[i >>> 5]! |= 1 << (i & 31);
  }

  has(i: number): boolean {
    return (this.words[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  /** In place: this |= other. */
  or(other: Bitset): this {
    const a = this.words;
    const b = other.words;
    for (let i = 0; i < a.length; i++) a[i]! |= b[i]!;
    return this;
  }

  /** In place: this &= other. */
  and(other: Bitset): this {
    const a = this.words;
    const b = other.words;
    for (let i = 0; i < a.length; i++) a[i]! &= b[i]!;
    return this;
  }

  /** In place: this &= ~other. */
  andNot(other: Bitset): this {
    const a = this.words;
    const b = other.words;
    for (let i = 0; i < a.length; i++) a[i]! &= ~b[i]!;
    return this;
  }

  /** In place complement within `size`. */
  not(): this {
    const a = this.words;
    for (let i = 0; i < a.length; i++) a[i] = ~a[i]! >>> 0;
    this.trim();
    return this;
  }

  isEmpty(): boolean {
    for (const w of this.words) if (w !== 0) return false;
    return true;
  }

  count(): number {
    let n = 0;
    for (let w of this.words) {
      w = w - ((w >>> 1) & 0x55555555);
      w = (w & 0x33333333) + ((w >>> 2) & 0x33333333);
      n += (((w + (w >>> 4)) & 0xf0f0f0f) * 0x1010101) >>> 24;
    }
    return n;
  }

  *[Symbol.iterator](): Generator<number> {
    const a = this.words;
    for (let wi = 0; wi < a.length; wi++) {
      let w = a[wi]!;
      while (w !== 0) {
        const t = w & -w;
        yield (wi << 5) + (31 - Math.clz32(t));
        w ^= t;
      }
    }
  }
}
