// Error codes keep the seed package's names: clients match on them.
import { ConflictError, NotFoundError, UnprocessableError } from '../errors.js';

export class UserNotFoundError extends NotFoundError {
  override readonly code = 'USER_MANAGEMENT_USER_NOT_FOUND';
  constructor(id: string) {
    super(`User ${id} not found`);
    this.details.userId = id;
  }
}

export class UserAlreadyExistsError extends ConflictError {
  override readonly code = 'USER_MANAGEMENT_USER_ALREADY_EXISTS';
  /** `field`: the unique value that collided, `email` or `externalId` (both unique among live users). */
  constructor(value: string, field: 'email' | 'externalId' = 'email') {
    super(`A user with ${field} ${value} already exists`);
    this.details.field = field;
  }
}

export class UserInactiveError extends UnprocessableError {
  override readonly code = 'USER_MANAGEMENT_USER_INACTIVE';
  constructor(id: string, message = `User ${id} is inactive`) {
    super(message);
    this.details.userId = id;
  }
}

/** Erasure is irreversible: the personal data is gone, so there is nothing to restore. */
export class UserErasedError extends UnprocessableError {
  override readonly code = 'USER_MANAGEMENT_USER_ERASED';
  constructor(id: string) {
    super(`User ${id} was erased: erasure cannot be undone`);
    this.details.userId = id;
  }
}

export class VersionConflictError extends ConflictError {
  override readonly code = 'USER_MANAGEMENT_VERSION_CONFLICT';
  constructor(id: string, expected: number, actual: number) {
    super(`User ${id} is at version ${actual}, not ${expected}: reload and retry`);
    this.details.userId = id;
    this.details.expectedVersion = expected;
    this.details.actualVersion = actual;
  }
}
