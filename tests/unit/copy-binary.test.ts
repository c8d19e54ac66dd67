// The binary COPY frame parser (src/db/copy-binary.ts): whatever way the socket cuts the stream,
// the values come out byte for byte, framed, and counted once each.
import { describe, expect, it } from 'vitest';
import { CopyBinaryLines } from '../../src/db/copy-binary.js';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** What PostgreSQL sends for a one-column COPY … WITH (FORMAT binary) of `values`. */
function copyBinary(values: (string | null)[], extension = Buffer.alloc(0)): Buffer {
  const parts = [SIGNATURE, int32(0), int32(extension.length), extension];
  for (const value of values) {
    const bytes = value === null ? null : Buffer.from(value, 'utf8');
    parts.push(int16(1), int32(bytes ? bytes.length : -1), bytes ?? Buffer.alloc(0));
  }
  parts.push(int16(-1));
  return Buffer.concat(parts);
}
const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

function parse(data: Buffer, cuts: number[], between = ',\n', after = ''): { text: string; rows: number } {
  const parser = new CopyBinaryLines(Buffer.from(between), Buffer.from(after));
  const out: Buffer[] = [];
  let rows = 0;
  let start = 0;
  for (const end of [...cuts, data.length]) {
    const piece = parser.push(data.subarray(start, end));
    out.push(piece.bytes);
    rows += piece.rows;
    start = end;
  }
  parser.end();
  return { text: Buffer.concat(out).toString('utf8'), rows };
}

// Everything COPY's text and CSV formats would escape, multi-byte characters that a cut can split,
// an empty value, and a value longer than a socket chunk.
const VALUES = ['{"a":"back\\\\slash"}', 'tab\there', 'line\nbreak\r\n', '"quoted",\'x\'', 'ünï 😀 中文', '', '\\N', 'x'.repeat(70_000)];

describe('binary COPY frames', () => {
  it('gives the values framed, whole or cut at every byte', () => {
    const small = VALUES.slice(0, -1);
    const data = copyBinary(small);
    const expected = { text: small.join(',\n'), rows: small.length };
    expect(parse(data, [])).toEqual(expected);
    for (let cut = 1; cut < data.length; cut++) expect(parse(data, [cut])).toEqual(expected);
    // Every byte its own chunk.
    expect(parse(data, Array.from({ length: data.length - 1 }, (_, i) => i + 1))).toEqual(expected);
  });

  it('puts `after` after each value and keeps a value longer than a chunk', () => {
    const data = copyBinary(VALUES);
    const cuts = Array.from({ length: Math.floor(data.length / 65_536) }, (_, i) => (i + 1) * 65_536);
    expect(parse(data, cuts, '', '\r\n')).toEqual({ text: VALUES.map((v) => `${v}\r\n`).join(''), rows: VALUES.length });
  });

  it('skips a header extension and reads an empty result', () => {
    const data = copyBinary(['a', 'b'], Buffer.from('ext!'));
    for (let cut = 1; cut < data.length; cut++) expect(parse(data, [cut], '', '\n')).toEqual({ text: 'a\nb\n', rows: 2 });
    expect(parse(copyBinary([]), [5])).toEqual({ text: '', rows: 0 });
  });

  it('refuses what is not one non-null text column ending with the trailer', () => {
    expect(() => parse(copyBinary(['a', null]), [])).toThrow(/NULL/);
    expect(() => parse(Buffer.from('a,b\n'.repeat(10)), [])).toThrow(/signature/);
    const truncated = copyBinary(['abc']);
    expect(() => parse(truncated.subarray(0, truncated.length - 3), [])).toThrow(/before its trailer/);
    const twoColumns = Buffer.concat([SIGNATURE, int32(0), int32(0), int16(2), int32(1), Buffer.from('a'), int32(1), Buffer.from('b'), int16(-1)]);
    expect(() => parse(twoColumns, [])).toThrow(/2 fields/);
  });
});
