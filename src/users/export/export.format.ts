// What a file has around its rows: the CSV header line, or JSON's brackets. The rows themselves
// are rendered by the database (export.sql.ts); tests/testkit/export-oracle.ts keeps the JS
// renderer they must match byte for byte.
import { FIELD_KEYS, type ExportFormat, type UserField } from './export.model.js';

export interface FileFrame {
  head: string;
  tail: string;
}

export function fileFrame(format: ExportFormat, fields: readonly UserField[]): FileFrame {
  switch (format) {
    case 'CSV':
      // Keys are fixed identifiers (FIELD_KEYS): nothing in a header cell needs quoting.
      return { head: `${fields.map((f) => FIELD_KEYS[f]).join(',')}\r\n`, tail: '' };
    case 'JSON':
      return { head: '[', tail: '\n]\n' };
    case 'NDJSON':
      return { head: '', tail: '' };
  }
}
