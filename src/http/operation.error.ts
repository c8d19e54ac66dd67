// Refusals of an operation before it runs: one code per limit (README, Operation limits), so a
// client can tell which one it crossed without reading the message.
import { DomainError } from '../errors.js';

export type OperationLimit = 'MAX_DEPTH' | 'MAX_ALIASES' | 'MAX_TOKENS' | 'MAX_DIRECTIVES' | 'MAX_COST';

export class OperationLimitError extends DomainError {
  readonly code: `${OperationLimit}_EXCEEDED`;
  readonly status = 400;
  /** `what`: the measure, plural ("aliases", "levels of nesting"). */
  constructor(limit: OperationLimit, max: number, actual: number | undefined, what: string) {
    super(`The operation has ${actual ?? 'more'} ${what}; the limit (${limit}) is ${max}`);
    this.code = `${limit}_EXCEEDED`;
    this.details.limit = max;
    if (actual !== undefined) this.details.actual = actual;
  }
}

/** TRUSTED_DOCUMENTS is set and this operation is not one of them. */
export class OperationNotTrustedError extends DomainError {
  readonly code = 'OPERATION_NOT_TRUSTED';
  readonly status = 400;
  constructor() {
    super('Only the operations this server was given (TRUSTED_DOCUMENTS) are allowed');
  }
}
