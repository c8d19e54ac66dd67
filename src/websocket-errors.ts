// graphql-ws sends errors as GraphQL produced them; Apollo's formatError does not run there.
// These hooks give subscription errors the same shape HTTP errors have (domain code and status,
// everything unexpected masked as INTERNAL_SERVER_ERROR and logged).
import type { FormattedExecutionResult, GraphQLError, GraphQLFormattedError } from 'graphql';
import type { ServerOptions } from 'graphql-ws';
import { formatGraphQLError, isUnexpectedError } from './errors.js';
import type { Logger } from './logger.js';

type Hooks = Pick<ServerOptions, 'onNext' | 'onError'>;

export function websocketErrorFormatting(log: Logger): Hooks {
  const format = (errors: readonly GraphQLError[]): GraphQLFormattedError[] =>
    errors.map((error) => {
      if (isUnexpectedError(error)) log.error({ err: error.originalError ?? error, path: error.path }, 'unexpected error in a subscription');
      return formatGraphQLError(error.toJSON(), error);
    });
  return {
    onNext: (_ctx, _id, _payload, _args, result): FormattedExecutionResult | void => {
      if (!result.errors?.length) return;
      return { ...result, errors: format(result.errors) };
    },
    onError: (_ctx, _id, _payload, errors) => format(errors),
  };
}
