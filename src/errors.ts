// The one errors module. Domain code throws DomainError subclasses with a stable `code` and an
// HTTP-like `status`; `formatGraphQLError` passes them to clients unchanged and masks anything
// else as INTERNAL_SERVER_ERROR (logged with the request id by the server). `clientErrorOf` is
// the one classification every transport uses (GraphQL over HTTP, graphql-ws, the plain HTTP
// routes): what the client may see, what is a retryable outage, what is a bug.
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from './logger.js';

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

/** A token from a login that must change its password first: it allows only `me` and `changeMyPassword`. */
export class PasswordChangeRequiredError extends DomainError {
  readonly code = 'PASSWORD_CHANGE_REQUIRED';
  readonly status = 403;
  constructor() {
    super('Your password must be changed first: only me and changeMyPassword are allowed');
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

/** No webhook endpoint with this id (webhooks, updateWebhook, deleteWebhook, ...). */
export class WebhookNotFoundError extends NotFoundError {
  override readonly code = 'WEBHOOK_NOT_FOUND';
  constructor(id: string) {
    super(`No webhook with id ${id}`);
    this.details.id = id;
  }
}

/**
 * A webhook URL the SSRF guard refuses (webhooks/webhook.url-guard.ts): not https, http to a host
 * other than localhost, credentials in it, or an address in a private, loopback, link-local or
 * other non-public range. `field` names the argument; `reason` is the rule it broke.
 */
export class WebhookUrlRefusedError extends DomainError {
  readonly code = 'WEBHOOK_URL_REFUSED';
  readonly status = 422;
  constructor(field: string, reason: string) {
    super(`${field}: ${reason}`);
    this.details.field = field;
    this.details.reason = reason;
  }
}

/** A request the server cannot read: malformed JSON or multipart, bad compression, no such route. */
export class BadRequestError extends DomainError {
  readonly code = 'BAD_REQUEST';
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.status = status;
  }
}

export class PayloadTooLargeError extends DomainError {
  readonly code = 'PAYLOAD_TOO_LARGE';
  readonly status = 413;
  constructor(limitBytes: number, message = `The request body exceeds the ${limitBytes} byte limit`) {
    super(message);
    this.details.limitBytes = limitBytes;
  }
}

export class UnsupportedMediaTypeError extends DomainError {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
  readonly status = 415;
}

/** Seconds a client should wait before retrying after an outage (`extensions.retryAfter`, `Retry-After`). */
export const RETRY_AFTER_SECONDS = 5;

/** A dependency (the database, Redis) is unreachable or saturated: retrying later will work. */
export class ServiceUnavailableError extends DomainError {
  readonly code = 'SERVICE_UNAVAILABLE';
  readonly status = 503;
  constructor(readonly retryAfter = RETRY_AFTER_SECONDS) {
    super(`The service is temporarily unavailable; retry in ${retryAfter} seconds`);
    this.details.retryAfter = retryAfter;
  }
}

/**
 * Over a limit: requests (http/rate.limit.ts, also the Retry-After header) or failed logins
 * (auth/login.throttle.ts). Retry after `extensions.retryAfter` seconds.
 */
export class TooManyRequestsError extends DomainError {
  readonly code = 'TOO_MANY_REQUESTS';
  readonly status = 429;
  constructor(
    readonly retryAfter: number,
    message = `Too many requests; retry in ${retryAfter} seconds`,
    /** What was over its limit (the login history's reason); not shown to clients. */
    readonly scope: 'account' | 'address' = 'account',
  ) {
    super(message);
    this.details.retryAfter = retryAfter;
  }
}

/**
 * GraphQL's and Apollo's own errors about the request (syntax, validation, variable values,
 * HTTP method): they describe the client's request, so code and message are safe to show.
 */
class GraphQLRequestError extends DomainError {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

/**
 * What a failure means to the client: the error it may see (a domain error, GraphQL's own request
 * errors, SERVICE_UNAVAILABLE for an outage), or undefined for a bug, which is masked.
 */
export function clientErrorOf(error: unknown): DomainError | undefined {
  const original = originalOf(error);
  if (isDomainError(original)) return original;
  if (isOutage(original)) return new ServiceUnavailableError();
  if (error instanceof GraphQLError) {
    const code = graphQLCodeOf(error);
    if (code) return new GraphQLRequestError(code, httpStatusOf(error) ?? 400, withoutEchoedValues(error));
  }
  return undefined;
}

/**
 * Apollo `formatError` (and graphql-ws, through http/websocket.error-format.ts): client errors
 * keep their code and status; everything else is masked (the server logs it with the request id).
 */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const client = clientErrorOf(error);
  if (!client) {
    return {
      message: 'Internal server error',
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: 'INTERNAL_SERVER_ERROR', status: 500 },
    };
  }
  return {
    message: client.message,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: client.code, status: client.status, ...client.details },
  };
}

/** The JSON body of an HTTP answer that failed as a whole, in the shape GraphQL answers have. */
export function errorResponseBody(error: DomainError): { errors: GraphQLFormattedError[] } {
  return { errors: [{ message: error.message, extensions: { code: error.code, status: error.status, ...error.details } }] };
}

/** The body of an HTTP answer for a failure that is not the client's: masked. */
export const INTERNAL_ERROR_BODY = {
  errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', status: 500 } }],
};

/**
 * Logs a failure at the level it deserves: a client's mistake at info without a stack (it is
 * not ours to fix), an outage at warn, a bug at error with its stack. Returns the client error.
 */
export function logFailure(log: Logger, error: unknown, fields: Record<string, unknown> = {}): DomainError | undefined {
  const client = clientErrorOf(error);
  if (client instanceof ServiceUnavailableError) {
    log.warn({ ...fields, error: errorSummary(originalOf(error)) }, 'dependency unavailable');
  } else if (client) {
    log.info({ ...fields, code: client.code, status: client.status, reason: client.message }, 'request refused');
  } else {
    log.error({ ...fields, error: errorSummary(originalOf(error)) }, 'unexpected error');
  }
  return client;
}

function originalOf(error: unknown): unknown {
  return error instanceof GraphQLError ? (error.originalError ?? error) : error;
}

/**
 * The level for a failure of background work (relay, sweeps, imports): an outage is expected to
 * pass and is a warning; anything else is a bug.
 */
export function failureLevel(error: unknown): 'warn' | 'error' {
  return isOutage(error) ? 'warn' : 'error';
}

/**
 * Name, message, code and stack, and no other property: libraries hang request data on their
 * errors (body-parser puts the raw body, password and all, on a JSON syntax error). Logged under
 * `error`, not `err`: pino's err serializer would take this plain object's type to be "Object".
 */
function errorSummary(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { type: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}), stack: error.stack };
}

/** The code GraphQL or Apollo put on one of their own errors (Apollo sets it on the outer one). */
function graphQLCodeOf(error: GraphQLError): string | undefined {
  const original = error.originalError;
  const code = error.extensions.code ?? (original instanceof GraphQLError ? original.extensions.code : undefined);
  return typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR' ? code : undefined;
}

/** Apollo answers some request errors with another status than 400 (405 for PUT, say). */
function httpStatusOf(error: GraphQLError): number | undefined {
  const status = (error.extensions.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/**
 * GraphQL quotes a rejected variable value in its message (`Variable "$p" got invalid value {
 * secret: "hunter2" }; String cannot represent a non string value: { … }`). A password sent in the
 * wrong shape would come back in the answer and land in the log, so the value is left out: the
 * message keeps the variable, the path inside it and the reason.
 */
function withoutEchoedValues(error: GraphQLError): string {
  const message = error.message;
  const variable = /^Variable "\$(\w+)" got invalid value /.exec(message);
  if (!variable) return message;
  const original = error.originalError;
  const reason =
    original instanceof GraphQLError && original !== error && message.endsWith(`; ${original.message}`) ? original.message : '';
  const prefix = reason ? message.slice(0, message.length - reason.length - 2) : message;
  const at = / at "([\w.[\]]+)"$/.exec(prefix);
  return `Variable "$${variable[1]}" got an invalid value${at ? ` at "${at[1]}"` : ''}${reason ? `; ${safeReason(reason)}` : ''}`;
}

// The reasons graphql-js gives for a rejected value, each cut before the value it quotes.
const SAFE_REASONS: RegExp[] = [
  /^Field "\w+" is not defined by type "\w+"\./,
  /^Field "\w+" of required type "[\w[\]!]+" was not provided\./,
  /^Expected type "\w+" to be an object\./,
  /^Expected non-nullable type "[\w[\]!]+" not to be null\./,
  /^Expected type "\w+"\./,
  /^(?:\w+|Enum "\w+") cannot represent [\w -]*?value/,
];

function safeReason(reason: string): string {
  for (const pattern of SAFE_REASONS) {
    const match = pattern.exec(reason);
    if (match) return match[0];
  }
  const enumValue = /does not exist in "(\w+)" enum/.exec(reason);
  if (enumValue) return `not a value of the ${enumValue[1]} enum`;
  return 'the value is not valid for its type';
}

// ---- Outages: failures that say "try again later", not "this is a bug" ----

// Prisma: can't reach the server (P1001), timed out (P1002, P1008), database gone (P1003),
// connection closed (P1017), no pool connection in time (P2024), too many connections (P2037).
const PRISMA_OUTAGE_CODES = new Set(['P1001', 'P1002', 'P1003', 'P1008', 'P1017', 'P2024', 'P2037']);
// Prisma driver adapters (@prisma/adapter-pg) name the failure before Prisma gives it a code.
const ADAPTER_OUTAGE_KINDS = new Set([
  'DatabaseNotReachable',
  'DatabaseDoesNotExist',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);
// PostgreSQL SQLSTATEs: class 08 (connection exceptions) is matched by prefix; shutdown and
// restart (57P01-57P03), too many connections (53300), database dropped (3D000).
const SQLSTATE_OUTAGES = new Set(['57P01', '57P02', '57P03', '53300', '3D000']);
// Node sockets (pg, ioredis): the peer is down, unreachable or not answering.
const SOCKET_OUTAGES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);
// Messages of errors that carry no code: pg and pg-pool, Prisma's transaction wait, ioredis.
const OUTAGE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|is not currently accepting connections|Unable to start a transaction in the given time|Timed out fetching a new connection|Connection is closed\.|Reached the max retries per request limit|Stream isn't writeable/;

/** True when `error` (or what it wraps) says the database or Redis is unreachable or saturated. */
function isOutage(error: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length && seen.size < 10) {
    const e = queue.shift();
    if (typeof e !== 'object' || e === null || seen.has(e)) continue;
    seen.add(e);
    const { code, originalCode, kind, message, name, meta, cause } = e as Record<string, unknown>;
    if (
      typeof code === 'string' &&
      (PRISMA_OUTAGE_CODES.has(code) || SOCKET_OUTAGES.has(code) || SQLSTATE_OUTAGES.has(code) || /^08[0-9A-Z]{3}$/.test(code))
    )
      return true;
    if (typeof originalCode === 'string' && (SQLSTATE_OUTAGES.has(originalCode) || /^08[0-9A-Z]{3}$/.test(originalCode)))
      return true;
    if (typeof kind === 'string' && ADAPTER_OUTAGE_KINDS.has(kind)) return true;
    if (name === 'MaxRetriesPerRequestError') return true;
    if (typeof message === 'string' && OUTAGE_MESSAGES.test(message)) return true;
    queue.push(
      cause,
      (meta as { driverAdapterError?: unknown } | undefined)?.driverAdapterError,
      (e as { originalError?: unknown }).originalError,
    );
    if (e instanceof AggregateError) queue.push(...(e.errors as unknown[]));
  }
  return false;
}

/**
 * A raw query returned a row of another shape than its repository expects (the SQL, a migration
 * and the code disagree): a bug, so clients see it masked as INTERNAL_SERVER_ERROR while the log
 * names the query, the row and the field. zod's messages name types, never values, so a row's
 * data does not reach the log.
 */
export class RowShapeError extends Error {
  constructor(
    readonly query: string,
    issue: { path: readonly PropertyKey[]; message: string } | undefined,
  ) {
    const [row, ...field] = issue?.path ?? [];
    const where = row === undefined ? 'the result' : `row ${String(row)}${field.length ? `, field ${field.map(String).join('.')}` : ''}`;
    super(`The ${query} query returned a row of an unexpected shape (${where}): ${issue?.message ?? 'not a list of rows'}`);
    this.name = 'RowShapeError';
  }
}
