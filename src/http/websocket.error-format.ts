// graphql-ws sends errors as GraphQL produced them; Apollo's formatError does not run there.
// These hooks give subscription errors the same shape HTTP errors have (domain code and status,
// everything unexpected masked as INTERNAL_SERVER_ERROR and logged). graphql-ws parses and
// validates the operation itself and reports failures without a code (and a syntax error by
// closing the socket): onSubscribe does that work here, so each failure gets the code Apollo
// gives it over HTTP.
import {
  getOperationAST,
  getVariableValues,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type FormattedExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import type { ServerOptions } from 'graphql-ws';
import { formatGraphQLError, logFailure } from '../errors.js';
import type { Logger } from '../logger.js';
import type { OperationGate } from './operation.gate.js';

type Hooks = Pick<ServerOptions, 'onSubscribe' | 'onNext' | 'onError'>;

export function websocketErrorFormatting(schema: GraphQLSchema, log: Logger, gate: OperationGate): Hooks {
  const format = (errors: readonly GraphQLError[]): GraphQLFormattedError[] =>
    errors.map((error) => {
      logFailure(log, error, { transport: 'websocket', path: error.path });
      return formatGraphQLError(error.toJSON(), error);
    });
  return {
    onSubscribe: (_ctx, _id, payload) => {
      // The same operation limits as over HTTP, before anything else.
      const refused = gate.check(payload).error;
      if (refused) return [new GraphQLError(refused.message, { originalError: refused })];
      let document: DocumentNode;
      try {
        document = parse(payload.query);
      } catch (error) {
        if (!(error instanceof GraphQLError)) throw error;
        return [withCode(error, 'GRAPHQL_PARSE_FAILED')];
      }
      const invalid = validate(schema, document);
      if (invalid.length) return invalid.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED'));
      const operation = getOperationAST(document, payload.operationName);
      if (operation) {
        // Checked here, not left to execution, where a bad value reads as an unexpected error.
        const { errors } = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {});
        if (errors?.length) return errors.map((error) => withCode(error, 'BAD_USER_INPUT'));
      }
      return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
    },
    onNext: (_ctx, _id, _payload, _args, result): FormattedExecutionResult | void => {
      if (!result.errors?.length) return;
      return { ...result, errors: format(result.errors) };
    },
    onError: (_ctx, _id, _payload, errors) => format(errors),
  };
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}
