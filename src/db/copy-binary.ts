// `COPY (SELECT <one text column> …) TO STDOUT WITH (FORMAT binary)` turned back into that
// column's bytes. Binary, because the text and CSV formats escape what they send (a backslash,
// a tab, a line break inside a value), while the values here are already the bytes a file wants
// (an export's rendered lines): the binary format carries each one as it is, behind a length.
//
// The format (PostgreSQL docs, "COPY", "Binary Format"): an 11-byte signature, int32 flags and an
// int32 header-extension length followed by that many bytes; then per tuple an int16 field
// count and, per field, an int32 length (-1 for NULL) and the bytes; an int16 -1 ends the data.
// The socket cuts chunks anywhere, inside a length as well as inside a value, so the parser keeps
// its place between chunks and copies a value's bytes out as they arrive (a value never has to
// be whole in memory).

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER_BYTES = SIGNATURE.length + 8;
/** The smallest tuple of one field: its field count and its length. */
const MIN_TUPLE_BYTES = 6;

type State = 'header' | 'extension' | 'tuple' | 'length' | 'value' | 'end';

export class CopyBinaryLines {
  private state: State = 'header';
  /** The fixed-size piece (header, field count, length) being read, when a chunk cut it. */
  private readonly scratch = Buffer.alloc(HEADER_BYTES);
  private have = 0;
  private need = HEADER_BYTES;
  /** Bytes left of the value (or of the header extension) being read. */
  private remaining = 0;
  private first = true;

  /**
   * `between` goes between two values, `after` after each one (a JSON array's ",\n"; a CSV
   * line's "\r\n").
   */
  constructor(
    private readonly between: Buffer,
    private readonly after: Buffer,
  ) {}

  /** The values (or parts of values) `chunk` holds, framed, and how many values it completed. */
  push(chunk: Buffer): { bytes: Buffer; rows: number } {
    // Every tuple that touches the chunk but the two at its edges lies wholly inside it.
    const frames = (Math.floor(chunk.length / MIN_TUPLE_BYTES) + 2) * (this.between.length + this.after.length);
    const out = Buffer.allocUnsafe(chunk.length + frames);
    let o = 0;
    let rows = 0;
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'value') {
        const n = Math.min(this.remaining, chunk.length - i);
        o += chunk.copy(out, o, i, i + n);
        i += n;
        this.remaining -= n;
        if (this.remaining === 0) {
          o += this.after.copy(out, o);
          rows += 1;
          this.expect('tuple', 2);
        }
        continue;
      }
      if (this.state === 'extension') {
        const n = Math.min(this.remaining, chunk.length - i);
        i += n;
        this.remaining -= n;
        if (this.remaining === 0) this.expect('tuple', 2);
        continue;
      }
      if (this.state === 'end') throw new Error('COPY binary: data after the trailer');
      // A fixed-size piece: read it in place when the chunk holds all of it, else gather it.
      let piece = chunk;
      let at = i;
      if (this.have === 0 && chunk.length - i >= this.need) {
        i += this.need;
      } else {
        const n = Math.min(this.need - this.have, chunk.length - i);
        chunk.copy(this.scratch, this.have, i, i + n);
        this.have += n;
        i += n;
        if (this.have < this.need) break;
        piece = this.scratch;
        at = 0;
        this.have = 0;
      }
      switch (this.state) {
        case 'header': {
          if (!piece.subarray(at, at + SIGNATURE.length).equals(SIGNATURE)) throw new Error('COPY binary: not a binary COPY signature');
          const extension = piece.readInt32BE(at + SIGNATURE.length + 4);
          this.remaining = extension;
          if (extension > 0) this.state = 'extension';
          else this.expect('tuple', 2);
          break;
        }
        case 'tuple': {
          const fields = piece.readInt16BE(at);
          if (fields === -1) this.state = 'end';
          else if (fields !== 1) throw new Error(`COPY binary: a tuple of ${fields} fields where one was expected`);
          else this.expect('length', 4);
          break;
        }
        case 'length': {
          const length = piece.readInt32BE(at);
          // The line expressions never give NULL: one would be a renderer bug, not an empty line.
          if (length < 0) throw new Error('COPY binary: a NULL value');
          if (!this.first) o += this.between.copy(out, o);
          this.first = false;
          if (length > 0) {
            this.state = 'value';
            this.remaining = length;
          } else {
            o += this.after.copy(out, o);
            rows += 1;
            this.expect('tuple', 2);
          }
          break;
        }
      }
    }
    return { bytes: out.subarray(0, o), rows };
  }

  /** Throws unless the data read so far ended with the trailer (the COPY ran to its end). */
  end(): void {
    if (this.state !== 'end') throw new Error('COPY binary: the data ended before its trailer');
  }

  private expect(state: 'tuple' | 'length', bytes: number): void {
    this.state = state;
    this.need = bytes;
  }
}
