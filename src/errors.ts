// The one errors module. Domain code throws DomainError subclasses with a stable `code` and an
// HTTP-like `status`; `formatGraphQLError` passes them to clients unchanged and masks anything
// else as INTERNAL_SERVER_ERROR (logged with the request id by the server).
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

export interface FieldProblem {
  /** Dotted path of the input field, e.g. `input.email` or `email` for CSV rows. */
  field: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  /** Extra, client-safe details copied into `extensions`. */
  readonly details: Record<string, unknown> = {};
}

export class BadUserInputError extends DomainError {
  readonly code = 'BAD_USER_INPUT';
  readonly status = 400;
  constructor(readonly fields: FieldProblem[]) {
    super(fields.map((f) => `${f.field}: ${f.message}`).join('; ') || 'Invalid input');
    this.details.fields = fields;
  }
  static field(field: string, message: string): BadUserInputError {
    return new BadUserInputError([{ field, message }]);
  }
}

export class UnauthenticatedError extends DomainError {
  readonly code = 'UNAUTHENTICATED';
  readonly status = 401;
  constructor(message = 'Authentication required') {
    super(message);
  }
}

export class ForbiddenError extends DomainError {
  readonly code = 'FORBIDDEN';
  readonly status = 403;
  constructor(message = 'Not allowed') {
    super(message);
  }
}

export class NotFoundError extends DomainError {
  readonly code: string = 'NOT_FOUND';
  readonly status = 404;
}

export class ConflictError extends DomainError {
  readonly code: string = 'CONFLICT';
  readonly status = 409;
}

export class UnprocessableError extends DomainError {
  readonly code: string = 'UNPROCESSABLE';
  readonly status = 422;
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

/**
 * Apollo `formatError`: domain errors keep their code/status; GraphQL's own request errors
 * pass; everything else is masked (the server logs it with the request id).
 */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = originalOf(error);
  if (isDomainError(original)) {
    return {
      message: original.message,
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: original.code, status: original.status, ...original.details },
    };
  }
  const code = formatted.extensions?.code;
  if (original instanceof GraphQLError && typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') {
    // GraphQL's own request errors (parse, validation, variable coercion) and Apollo's
    // (BAD_REQUEST, persisted queries) describe the client's request: safe to show.
    const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions: { ...extensions, status: 400 } };
  }
  return {
    message: 'Internal server error',
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR', status: 500 },
  };
}

function originalOf(error: unknown): unknown {
  return error instanceof GraphQLError ? (error.originalError ?? error) : error;
}

/** True for errors formatGraphQLError masks: bugs and outages, worth an error log line. */
export function isUnexpectedError(error: GraphQLError): boolean {
  const original = originalOf(error);
  if (isDomainError(original)) return false;
  return !(original instanceof GraphQLError && typeof original.extensions.code === 'string');
}
