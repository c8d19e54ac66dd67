// Bytes in, CSV records out, as the bytes arrive. A guard in front of fast-csv decodes UTF-8
// (with or without BOM), refuses binary files, names the row of malformed quoting, and bounds
// the length of one record: fast-csv buffers a record until it ends, so an unbalanced quote
// would otherwise make it hold (and rescan) the rest of the file.
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { parse } from '@fast-csv/parse';
import { IMPORT_FAILURE_CODES, ImportFailedError } from './import.error.js';

/**
 * Yields the records of `source` in batches (one per parsed text chunk: iterating row by row
 * would cost a promise per row). Records come in file order; the first is row 1, blank lines
 * are records too. Throws ImportFailedError when the file itself is unusable.
 */
export async function* readRecords(source: Readable, maxRecordChars: number): AsyncGenerator<string[][]> {
  const guard = new TextGuard(maxRecordChars);
  const parser = parse({ headers: false, ignoreEmpty: false, trim: false });
  let failure: unknown;
  let ended = false;
  pipeline(source, guard, parser, (error) => {
    failure ??= error;
    ended = true;
  });
  parser.on('end', () => {
    ended = true;
  });
  let rows = 0;
  try {
    for (;;) {
      const batch: string[][] = [];
      let cells: string[] | null;
      while ((cells = parser.read() as string[] | null) !== null) batch.push(cells);
      if (batch.length) {
        rows += batch.length;
        yield batch;
        continue;
      }
      if (failure) throw describeStreamError(failure, rows + 1);
      if (ended || parser.readableEnded) {
        // Every record before a malformed one has been delivered: now report it.
        if (guard.failure) throw guard.failure;
        break;
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          parser.off('readable', wake);
          parser.off('end', wake);
          parser.off('close', wake);
          resolve();
        };
        parser.on('readable', wake);
        parser.on('end', wake);
        parser.on('close', wake);
      });
    }
  } catch (error) {
    throw describeStreamError(error, rows + 1);
  } finally {
    // Stops reading when the consumer stops early (cancel, failure): the upload is released.
    source.destroy();
    parser.destroy();
  }
}

type QuoteState = 'unquoted' | 'quoted' | 'quoteSeen' | 'closed';

/**
 * Decodes UTF-8 and follows CSV quoting the way fast-csv reads it (a quote opens a quoted field
 * only as the first non-space character of a field; "" inside one is a literal quote), so it
 * knows the exact row of a malformed record before the parser sees it: fast-csv drops the
 * good rows of a text chunk along with the bad one and names no row.
 */
class TextGuard extends Transform {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });
  private bytes = 0;
  private state: QuoteState = 'unquoted';
  /** Records completed so far; the current record is row + 1. */
  private row = 0;
  private openQuoteRow = 0;
  /** Characters of the current record that arrived in earlier chunks. */
  private carried = 0;
  /** Whether the previous chunk ended at a field boundary (only spaces since "," or a newline). */
  private tailAtBoundary = true;

  /** Text of the current, incomplete record (held back until it ends). */
  private pending = '';
  /** In the text being tracked: the index just after the last completed record, 0 if none. */
  private lastEnd = 0;
  /** Set when a record is malformed; the stream has then ended before that record. */
  failure: Error | undefined;

  constructor(private readonly maxRecordChars: number) {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.failure) {
      done(); // after a malformed record the rest of the upload is read and dropped
      return;
    }
    const nul = chunk.indexOf(0);
    if (nul >= 0) {
      this.fail(new ImportFailedError(IMPORT_FAILURE_CODES.NOT_TEXT, `The file is not CSV text: it contains a NUL byte at byte ${this.bytes + nul + 1}`), '');
      done();
      return;
    }
    this.bytes += chunk.length;
    const text = this.decoder.decode(chunk, { stream: true });
    try {
      this.track(text);
    } catch (error) {
      this.fail(error as Error, text);
      done();
      return;
    }
    // Only complete records go on to the parser; the current one waits (bounded by maxRecordChars).
    if (this.lastEnd > 0) {
      this.push(this.pending + text.slice(0, this.lastEnd));
      this.pending = text.slice(this.lastEnd);
    } else {
      this.pending += text;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.failure) {
      done();
      return;
    }
    const tail = this.decoder.decode();
    try {
      this.track(tail);
      if (this.state === 'quoted') throw this.malformed(this.openQuoteRow, 'a quoted field that starts in this row is never closed (unbalanced quotes)');
    } catch (error) {
      this.fail(error as Error, tail);
      done();
      return;
    }
    const rest = this.pending + tail;
    this.pending = '';
    if (rest) this.push(rest);
    done();
  }

  /**
   * A malformed record ends the text cleanly just before it instead of erroring the stream: an
   * error would destroy the parser with the good records it still buffers, so how many rows
   * reached the importer (and were committed) would depend on timing. readRecords reports
   * `failure` once every record before the bad one has been delivered.
   */
  private fail(error: Error, text: string): void {
    if (this.lastEnd > 0) this.push(this.pending + text.slice(0, this.lastEnd));
    this.pending = '';
    this.failure = error;
    this.push(null);
  }

  private track(text: string): void {
    this.lastEnd = 0;
    let i = 0;
    let recordStart = 0;
    let quote = -2;
    let newline = -2;
    while (i < text.length) {
      switch (this.state) {
        case 'quoteSeen':
          // A quote inside a quoted field: "" is a literal quote, anything else closed the field.
          if (text.charCodeAt(i) === 34) {
            i += 1;
            this.state = 'quoted';
          } else {
            this.state = 'closed';
          }
          break;
        case 'closed': {
          const c = text[i]!;
          if (c === ',') this.state = 'unquoted';
          else if (c === '\n') {
            this.endRecord(i + 1);
            recordStart = i + 1;
            this.state = 'unquoted';
          } else if (c !== ' ' && c !== '\r' && c !== '\t') {
            throw this.malformed(this.row + 1, 'unexpected text after a closing quote (a quote inside a quoted field must be doubled: "")');
          }
          i += 1;
          this.tailAtBoundary = c === ',' || c === '\n';
          break;
        }
        case 'quoted': {
          const q = text.indexOf('"', i);
          if (q < 0) {
            i = text.length;
          } else {
            i = q + 1;
            this.state = 'quoteSeen';
          }
          break;
        }
        case 'unquoted': {
          if (quote !== -1 && quote < i) quote = text.indexOf('"', i);
          if (newline !== -1 && newline < i) newline = text.indexOf('\n', i);
          if (newline >= 0 && (quote < 0 || newline < quote)) {
            this.endRecord(newline + 1);
            i = newline + 1;
            recordStart = i;
            this.tailAtBoundary = true;
          } else if (quote >= 0) {
            if (this.atFieldStart(text, quote)) {
              this.state = 'quoted';
              this.openQuoteRow = this.row + 1;
            }
            i = quote + 1;
          } else {
            i = text.length;
          }
          break;
        }
      }
    }
    if (this.state === 'unquoted' && text.length > recordStart) this.tailAtBoundary = this.atFieldStart(text, text.length);
    this.carried += text.length - recordStart;
    if (this.carried > this.maxRecordChars) {
      throw this.malformed(
        this.row + 1,
        `the record is longer than ${this.maxRecordChars} characters${this.state === 'quoted' ? ' (probably a quote that is never closed)' : ''}`,
        IMPORT_FAILURE_CODES.ROW_TOO_LONG,
      );
    }
  }

  private endRecord(end: number): void {
    this.lastEnd = end;
    this.row += 1;
    this.carried = 0;
  }

  /** True when only spaces separate `pos` from the previous "," or newline (or record start). */
  private atFieldStart(text: string, pos: number): boolean {
    let j = pos - 1;
    while (j >= 0 && text.charCodeAt(j) === 32) j -= 1;
    if (j < 0) return this.tailAtBoundary;
    const c = text.charCodeAt(j);
    return c === 44 || c === 10;
  }

  private malformed(row: number, detail: string, code: ImportFailedError['code'] = IMPORT_FAILURE_CODES.MALFORMED_CSV): ImportFailedError {
    return new ImportFailedError(code, `Row ${row}: ${detail}`, { row });
  }
}

/** Turns stream and parser errors into import failures a person can act on. */
export function describeStreamError(error: unknown, row: number): Error {
  if (error instanceof ImportFailedError) return error;
  const status = typeof error === 'object' && error !== null && 'status' in error ? Number(error.status) : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (status === 413) {
    return new ImportFailedError(IMPORT_FAILURE_CODES.UPLOAD_TOO_LARGE, `The upload exceeds the size limit: ${message}`);
  }
  if (message.startsWith('Parse Error')) {
    const detail = /missing closing/.test(message)
      ? 'a quoted field is never closed (unbalanced quotes)'
      : /expected: '(.)' OR new line got: '(.)'/.test(message)
        ? 'unexpected text after a closing quote (a quote inside a field must be doubled: "")'
        : message.slice(0, 200);
    return new ImportFailedError(IMPORT_FAILURE_CODES.MALFORMED_CSV, `Row ${row}: ${detail}`, { row });
  }
  if (status === 499 || /disconnect|aborted|premature close|released|destroyed/i.test(message)) {
    return new ImportFailedError(IMPORT_FAILURE_CODES.UPLOAD_INTERRUPTED, 'The upload stopped before the end of the file');
  }
  return error instanceof Error ? error : new Error(message);
}
