// Import errors. A problem with the whole file (header, encoding, size, row limit) stops the
// import: it is recorded on the import as `failure { code message }` and, for a client that
// waited, is also what the returned UserImport says. Problems with single rows are data
// (ImportRowError), never thrown.
import { DomainError, NotFoundError } from '../../errors.js';

export const IMPORT_FAILURE_CODES = {
  EMPTY_FILE: 'IMPORT_EMPTY_FILE',
  NO_ROWS: 'IMPORT_NO_ROWS',
  NOT_TEXT: 'IMPORT_NOT_TEXT',
  WRONG_DELIMITER: 'IMPORT_WRONG_DELIMITER',
  MISSING_COLUMNS: 'IMPORT_MISSING_COLUMNS',
  UNKNOWN_COLUMNS: 'IMPORT_UNKNOWN_COLUMNS',
  DUPLICATE_COLUMNS: 'IMPORT_DUPLICATE_COLUMNS',
  MALFORMED_CSV: 'IMPORT_MALFORMED_CSV',
  ROW_TOO_LONG: 'IMPORT_ROW_TOO_LONG',
  TOO_MANY_ROWS: 'IMPORT_TOO_MANY_ROWS',
  UPLOAD_TOO_LARGE: 'UPLOAD_TOO_LARGE',
  UPLOAD_INTERRUPTED: 'UPLOAD_INTERRUPTED',
  WRITE_FAILED: 'IMPORT_WRITE_FAILED',
  INTERRUPTED: 'IMPORT_INTERRUPTED',
} as const;

export type ImportFailureCode = (typeof IMPORT_FAILURE_CODES)[keyof typeof IMPORT_FAILURE_CODES];

/** Stops an import; the runner records code and message on the import. */
export class ImportFailedError extends DomainError {
  readonly status = 422;
  constructor(
    readonly code: ImportFailureCode,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(message);
    Object.assign(this.details, details);
  }
}

export class ImportNotFoundError extends NotFoundError {
  override readonly code = 'IMPORT_NOT_FOUND';
  constructor(id: string) {
    super(`Import ${id} not found`);
    this.details.importId = id;
  }
}

/** The upload is larger than UPLOAD_MAX_BYTES (thrown before the import starts, nothing written). */
export class UploadTooLargeError extends DomainError {
  readonly code = 'UPLOAD_TOO_LARGE';
  readonly status = 413;
  constructor(limit: number) {
    super(`The upload exceeds the ${limit} byte limit (UPLOAD_MAX_BYTES); nothing was imported`);
    this.details.limitBytes = limit;
  }
}

/** A multipart request with more than one file (imports take one). */
export class UploadTooManyFilesError extends DomainError {
  readonly code = 'UPLOAD_TOO_MANY_FILES';
  readonly status = 413;
}

/** Row-level error codes (ImportRowError.code). */
export const ROW_ERROR_CODES = {
  REQUIRED: 'REQUIRED',
  INVALID_VALUE: 'INVALID_VALUE',
  INVALID_PASSWORD_HASH: 'INVALID_PASSWORD_HASH',
  INVALID_ENCODING: 'INVALID_ENCODING',
  DUPLICATE_IN_FILE: 'DUPLICATE_IN_FILE',
  EMAIL_TAKEN: 'EMAIL_TAKEN',
  EXTERNAL_ID_TAKEN: 'EXTERNAL_ID_TAKEN',
  COLUMN_COUNT: 'COLUMN_COUNT',
  CONFLICTING_PASSWORDS: 'CONFLICTING_PASSWORDS',
} as const;
