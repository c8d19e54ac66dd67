// Export link errors: what the download route answers (JSON, with a stable code) for a link
// that is not ours or no longer valid.
import { DomainError } from '../../errors.js';

export class ExportLinkInvalidError extends DomainError {
  readonly code = 'EXPORT_LINK_INVALID';
  readonly status = 404;
  constructor() {
    super('This export link is not valid');
  }
}

export class ExportLinkExpiredError extends DomainError {
  readonly code = 'EXPORT_LINK_EXPIRED';
  readonly status = 410;
  constructor() {
    super('This export link has expired: ask for a new one with exportUsers');
  }
}
