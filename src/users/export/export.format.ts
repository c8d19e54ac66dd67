// Serialises users as CSV, JSON or NDJSON, one batch at a time (the caller streams the pieces).
// CSV follows RFC 4180 (CRLF, quotes doubled) and neutralises cells a spreadsheet would run as
// a formula by prefixing an apostrophe (OWASP "CSV injection"); the importer removes exactly
// that apostrophe again, so a neutralised file still imports back to the same values.
import { FIELD_KEYS, type ExportFormat, type ExportRow, type ExportedKey, type UserField } from './export.model.js';

export interface ExportSerializer {
  head: string;
  rows(users: readonly ExportRow[], first: boolean): string;
  tail: string;
}

export function serializer(format: ExportFormat, fields: readonly UserField[]): ExportSerializer {
  const keys = fields.map((f) => FIELD_KEYS[f]);
  switch (format) {
    case 'CSV':
      return {
        head: `${keys.join(',')}\r\n`,
        rows: (users) => {
          let out = '';
          for (const user of users) out += `${keys.map((k) => csvCell(user[k])).join(',')}\r\n`;
          return out;
        },
        tail: '',
      };
    case 'JSON':
      return {
        head: '[',
        rows: (users, first) => {
          let out = '';
          users.forEach((user, i) => {
            out += `${first && i === 0 ? '\n' : ',\n'}${JSON.stringify(pick(user, keys))}`;
          });
          return out;
        },
        tail: '\n]\n',
      };
    case 'NDJSON':
      return {
        head: '',
        rows: (users) => {
          let out = '';
          for (const user of users) out += `${JSON.stringify(pick(user, keys))}\n`;
          return out;
        },
        tail: '',
      };
  }
}

const FORMULA = /^'*[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

export function csvCell(value: ExportRow[ExportedKey]): string {
  if (value === null || value === undefined) return '';
  let text = value instanceof Date ? value.toISOString() : String(value);
  if (FORMULA.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function pick(user: ExportRow, keys: readonly ExportedKey[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = user[k];
  return out;
}
