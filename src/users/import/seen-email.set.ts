// Remembers which emails a file has already used, to report duplicates inside the file. A Set of
// a million email strings costs ~100 MB; this keeps a 64-bit fingerprint and the first row per
// email in typed arrays (~24 bytes a row at most). Two different emails share a fingerprint with
// probability ~n²/2⁶⁵ (3·10⁻⁸ at a million rows): a false "duplicate" is that unlikely.
export class SeenEmails {
  private hi: Uint32Array;
  private lo: Uint32Array;
  /** First row of each entry; 0 marks an empty slot (rows start at 2). */
  private rows: Uint32Array;
  private size = 0;

  constructor(initialCapacity = 1 << 14) {
    const capacity = 1 << Math.ceil(Math.log2(Math.max(16, initialCapacity)));
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.rows = new Uint32Array(capacity);
  }

  /** Records `email` at `row` and returns 0, or returns the row that already used it. */
  claim(email: string, row: number): number {
    if ((this.size + 1) * 2 > this.rows.length) this.grow();
    const { h1, h2 } = fingerprint(email);
    const slot = this.find(h1, h2);
    const existing = this.rows[slot]!;
    if (existing !== 0) return existing;
    this.hi[slot] = h1;
    this.lo[slot] = h2;
    this.rows[slot] = row;
    this.size += 1;
    return 0;
  }

  private find(h1: number, h2: number): number {
    const mask = this.rows.length - 1;
    let slot = (h1 ^ h2) & mask;
    while (this.rows[slot] !== 0 && (this.hi[slot] !== h1 || this.lo[slot] !== h2)) slot = (slot + 1) & mask;
    return slot;
  }

  private grow(): void {
    const { hi, lo, rows } = this;
    const capacity = rows.length * 2;
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.rows = new Uint32Array(capacity);
    for (let i = 0; i < rows.length; i++) {
      if (rows[i] === 0) continue;
      const slot = this.find(hi[i]!, lo[i]!);
      this.hi[slot] = hi[i]!;
      this.lo[slot] = lo[i]!;
      this.rows[slot] = rows[i]!;
    }
  }
}

/** Two independent 32-bit hashes (FNV-1a and a murmur-style mix) of the UTF-16 code units. */
function fingerprint(s: string): { h1: number; h2: number } {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h2 = Math.imul(h2 ^ (h2 >>> 13), 0x5bd1e995);
  return { h1: h1 >>> 0, h2: (h2 ^ (h2 >>> 15)) >>> 0 };
}
