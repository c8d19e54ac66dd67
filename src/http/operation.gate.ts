// Operation limits, checked on every operation before it runs, over HTTP (an Express middleware in
// front of Apollo) and over WebSocket (graphql-ws's onSubscribe): tokens, depth, aliases,
// directives and cost, and, with TRUSTED_DOCUMENTS, the operation itself. A 13 KB query of 200
// aliased `users(first: 100)` would run 400 queries for 7 s; here it is refused after a lexer
// pass and a walk of its syntax tree, in well under a millisecond of work per kilobyte.
//
// The cost model (README, Operation limits): every field costs 1 plus its selection, and a
// paged field (one with `first`/`last`) costs 1 + n × its selection, n being `first`, `last` or
// the default page size, counted up to MAX_COUNTED_PAGE. `users(first: 100) { edges { node { id email } } }` costs
// 1 + 100 × (1 + 1 + 2) = 401.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import type { RequestHandler } from 'express';
import {
  Kind,
  Lexer,
  parse,
  Source,
  TokenKind,
  TypeInfo,
  validate,
  visit,
  ValidationContext,
  type DocumentNode,
  type GraphQLError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValueNode,
  type ValidationRule,
} from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import type { OperationLimits } from '../config.js';
import { DEFAULT_PAGE_SIZE } from '../users/listing/listing.model.js';
import { OperationLimitError, OperationNotTrustedError, type OperationLimit } from './operation.error.js';

/** What a GraphQL request carries, from any transport. */
export interface OperationRequest {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

/** The pieces of an operation the rest of the request pipeline may use (the rate limiter). */
export interface CheckedOperation {
  document: DocumentNode;
  operationName: string | undefined;
  variables: Record<string, unknown>;
}

/**
 * The largest n the model counts. A users page holds at most 100 rows; the event log (500) and an
 * import's stored errors (10,000) allow bigger pages of cheaper rows, and a page over a field's own
 * maximum is that field's BAD_USER_INPUT (naming `first`), not a cost refusal.
 */
export const MAX_COUNTED_PAGE = 100;

/** Every field costs 1 plus its selection; a paged field, n times its selection. */
export const pageCost: ComplexityEstimator = ({ field, args, childComplexity }) => {
  const paged = field.args.some((a) => a.name === 'first' || a.name === 'last');
  if (!paged) return 1 + childComplexity;
  const n = Math.min(MAX_COUNTED_PAGE, positive(args.first) ?? positive(args.last) ?? DEFAULT_PAGE_SIZE);
  return 1 + n * childComplexity;
};

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && value > 0 ? value : undefined;
}

/**
 * Documents that passed the structural limits, by their text: clients send the same few
 * operations over and over, and parsing plus the depth/alias/directive walk was ~5% of a small
 * query's CPU. Only the text decides those limits; the cost depends on the variables and is
 * computed for every request. Bounded in entries and in the size of each text (oldest out first),
 * so a client sending endless distinct documents only churns it.
 */
const PASSED_DOCUMENTS = 500;
const PASSED_DOCUMENT_MAX_CHARS = 8 * 1024;

/**
 * The cost of a passed document, by the values of the only variables it can depend on: those
 * given to a `first`/`last` argument (pageCost reads nothing else) or to a directive (@skip and
 * @include drop fields from the count). Computing it walked the whole document with type info on
 * every request, ~9% of a `user(id)` request's CPU; a client's `id`, filter or input variables
 * change from request to request but leave the cost where it was. Bounded per document.
 */
interface CostMemo {
  variables: readonly string[];
  costs: Map<string, number>;
}
const COSTS_PER_DOCUMENT = 64;

export class OperationGate {
  private readonly passed = new Map<string, DocumentNode>();
  private readonly costMemos = new WeakMap<DocumentNode, CostMemo>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly limits: OperationLimits,
    private readonly trusted?: TrustedDocuments,
  ) {}

  /**
   * The operation, or the limit it crosses. A request this cannot read (no query, a syntax
   * error, a variable of the wrong type) passes: Apollo or graphql-ws answer it with their own
   * codes.
   */
  check(request: OperationRequest): { operation?: CheckedOperation; error?: Error } {
    if (typeof request.query !== 'string') return {};
    if (this.trusted && !this.trusted.allows(request.query)) return { error: new OperationNotTrustedError() };
    let document = this.passed.get(request.query);
    if (!document) {
      try {
        // graphql's parser stops one token past maxTokens, so a huge document costs what a small one does.
        document = parse(request.query, { noLocation: true, maxTokens: this.limits.tokens });
      } catch {
        // The token limit, or a syntax error, which Apollo reports with its own code.
        const tokens = countTokens(request.query, this.limits.tokens);
        if (tokens !== undefined && tokens > this.limits.tokens) return { error: new OperationLimitError('MAX_TOKENS', this.limits.tokens, undefined, 'tokens') };
        return {};
      }
      const refused = this.structuralLimit(document);
      if (refused) return { error: refused };
      this.remember(request.query, document);
    }
    const operationName = typeof request.operationName === 'string' ? request.operationName : undefined;
    const variables = isRecord(request.variables) ? request.variables : {};
    const cost = this.cost(document, operationName, variables);
    if (cost === undefined) return {};
    if (cost > this.limits.cost) return { error: new OperationLimitError('MAX_COST', this.limits.cost, cost, 'cost points') };
    return { operation: { document, operationName, variables } };
  }

  /** undefined when it cannot be computed: GraphQL's own validation answers the request. */
  private cost(
    document: DocumentNode,
    operationName: string | undefined,
    variables: Record<string, unknown>,
  ): number | undefined {
    let memo = this.costMemos.get(document);
    if (!memo) {
      memo = { variables: costVariables(document), costs: new Map() };
      this.costMemos.set(document, memo);
    }
    const key = JSON.stringify([operationName ?? null, ...memo.variables.map((name) => variables[name] ?? null)]);
    let cost = memo.costs.get(key);
    if (cost !== undefined) return cost;
    try {
      cost = getComplexity({ schema: this.schema, query: document, variables, ...(operationName ? { operationName } : {}), estimators: [pageCost] });
    } catch {
      // Unknown operation name, variables of the wrong type: GraphQL's own validation says so.
      // Not remembered: the next request may send the same values right.
      return undefined;
    }
    if (memo.costs.size >= COSTS_PER_DOCUMENT) memo.costs.delete(memo.costs.keys().next().value!);
    memo.costs.set(key, cost);
    return cost;
  }

  private remember(query: string, document: DocumentNode): void {
    if (query.length > PASSED_DOCUMENT_MAX_CHARS) return;
    if (this.passed.size >= PASSED_DOCUMENTS) this.passed.delete(this.passed.keys().next().value!);
    this.passed.set(query, document);
  }

  /** Depth, aliases and directives, with graphql-armor's rules; the first one crossed. */
  private structuralLimit(document: DocumentNode): OperationLimitError | undefined {
    let refused: OperationLimitError | undefined;
    const onReject =
      (limit: OperationLimit, max: number, what: string) =>
      (_ctx: unknown, error: GraphQLError): void => {
        refused ??= new OperationLimitError(limit, max, foundIn(error.message), what);
      };
    const quiet = { propagateOnRejection: false, exposeLimits: true };
    const rules: ValidationRule[] = [
      maxDepthRule({ ...quiet, n: this.limits.depth, onReject: [onReject('MAX_DEPTH', this.limits.depth, 'levels of nesting')] }),
      maxAliasesRule({ ...quiet, n: this.limits.aliases, onReject: [onReject('MAX_ALIASES', this.limits.aliases, 'aliases')] }),
      maxDirectivesRule({ ...quiet, n: this.limits.directives, onReject: [onReject('MAX_DIRECTIVES', this.limits.directives, 'directives')] }),
    ];
    checkOperations(this.schema, document, rules);
    return refused;
  }
}

/**
 * Runs rules that look only at operation definitions (graphql-armor's count from there, reading
 * fragments through the context) without graphql's full validation walk, which tracks the type
 * of every node and took most of the time of a refusal. A rule of another shape gets the walk.
 */
function checkOperations(schema: GraphQLSchema, document: DocumentNode, rules: ValidationRule[]): void {
  const context = new ValidationContext(schema, document, new TypeInfo(schema), () => undefined);
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  for (const rule of rules) {
    const visitor = rule(context) as { OperationDefinition?: { enter?: unknown } };
    const enter = visitor.OperationDefinition?.enter;
    if (typeof enter !== 'function' || Object.keys(visitor).some((key) => key !== 'OperationDefinition' && /^[A-Z]/.test(key))) {
      validate(schema, document, [rule]);
      continue;
    }
    for (const operation of operations) (enter as (node: OperationDefinitionNode) => void).call(visitor, operation);
  }
}

/** The variables a document's cost can depend on (see CostMemo), sorted. */
export function costVariables(document: DocumentNode): string[] {
  const names = new Set<string>();
  const collect = (value: ValueNode) =>
    visit(value, {
      Variable: (node) => {
        names.add(node.name.value);
      },
    });
  visit(document, {
    Argument: (node) => {
      if (node.name.value === 'first' || node.name.value === 'last') collect(node.value);
    },
    Directive: (node) => {
      for (const argument of node.arguments ?? []) collect(argument.value);
    },
  });
  return [...names].sort();
}

/** graphql-armor's message ends "…, found 40." */
function foundIn(message: string): number | undefined {
  const match = /found (\d+)/.exec(message);
  return match ? Number(match[1]) : undefined;
}

/**
 * Lexical tokens in the document, counting no further than one past the limit (so a huge
 * document costs no more than a small one); undefined when it does not lex.
 */
function countTokens(query: string, limit: number): number | undefined {
  const lexer = new Lexer(new Source(query));
  let count = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) {
      count += 1;
      if (count > limit) break;
    }
  } catch {
    return undefined;
  }
  return count;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * TRUSTED_DOCUMENTS: the operations a team's own frontend sends, as GraphQL Code Generator's
 * client preset writes them (`persistedDocuments: true` → persisted-documents.json, an object of
 * sha256 hash → document). A request may send the document itself, or only its hash (as
 * `documentId`, or Apollo's `extensions.persistedQuery.sha256Hash`).
 */
export class TrustedDocuments {
  private readonly byHash: Map<string, string>;
  private readonly texts: Set<string>;

  constructor(documents: Record<string, string>) {
    this.byHash = new Map(Object.entries(documents));
    this.texts = new Set(this.byHash.values());
  }

  static load(file: string): TrustedDocuments {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`TRUSTED_DOCUMENTS: cannot read ${file} as JSON (${(error as Error).message})`, { cause: error });
    }
    if (!isRecord(parsed) || !Object.values(parsed).every((v) => typeof v === 'string')) {
      throw new Error(`TRUSTED_DOCUMENTS: ${file} must be a JSON object of hash → GraphQL document`);
    }
    return new TrustedDocuments(parsed as Record<string, string>);
  }

  allows(query: string): boolean {
    return this.texts.has(query) || this.byHash.has(sha256(query));
  }

  /** The document behind a hash a client sent instead of it. */
  lookup(hash: string): string | undefined {
    return this.byHash.get(hash);
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The HTTP side: checks the request's operation (JSON or multipart body, or a GET's query
 * string) before Apollo sees it. A refusal goes to the server's error handler (JSON with the
 * limit's code, status 400). The checked operation is left in `res.locals.operation`.
 */
export function operationGateMiddleware(gate: OperationGate, trusted: TrustedDocuments | undefined): RequestHandler {
  return (req, res, next) => {
    const request = requestOf(req.method, req.body, req.query);
    if (!request) {
      next();
      return;
    }
    if (trusted && typeof request.query !== 'string') substituteTrusted(request, trusted);
    const { operation, error } = gate.check(request);
    if (error) {
      next(error);
      return;
    }
    res.locals.operation = operation;
    next();
  };
}

function requestOf(method: string, body: unknown, query: unknown): (OperationRequest & Record<string, unknown>) | undefined {
  if (method === 'POST') return isRecord(body) ? body : undefined;
  if (method !== 'GET' || !isRecord(query)) return undefined;
  let variables: unknown;
  try {
    variables = typeof query.variables === 'string' ? JSON.parse(query.variables) : undefined;
  } catch {
    variables = undefined;
  }
  return { query: query.query, variables, operationName: query.operationName };
}

/** A request that sent a trusted document's hash instead of its text gets the text. */
function substituteTrusted(request: OperationRequest & Record<string, unknown>, trusted: TrustedDocuments): void {
  const extensions = isRecord(request.extensions) ? request.extensions : undefined;
  const persisted = extensions && isRecord(extensions.persistedQuery) ? extensions.persistedQuery : undefined;
  const hash = typeof request.documentId === 'string' ? request.documentId : typeof persisted?.sha256Hash === 'string' ? persisted.sha256Hash : undefined;
  const text = hash ? trusted.lookup(hash.replace(/^sha256:/, '')) : undefined;
  if (!text) return;
  request.query = text;
  delete request.documentId;
  if (extensions) delete extensions.persistedQuery;
}
