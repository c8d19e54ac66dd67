// Fan-out without one GraphQL execution per subscriber per event.
//
// graphql-ws subscribes each operation on its own: graphql's subscribe() opens a source stream
// (here an EventStream) and runs `execute` over the subscription document once per event. With
// 1,000 subscribers of `userCreated` that is 1,000 identical executions per event, which is most
// of the server's cost of one delivery.
//
// This `subscribe` replacement keeps everything per subscriber that carries semantics -- its own
// source stream (so authorization at subscribe time, the start point, the order, the bounded
// backlog and SUBSCRIBER_TOO_SLOW are exactly as before) -- and shares only the execution of an
// event: subscribers whose operation is identical (printed document, variables, operationName,
// and the roles of the principal, in case a field ever depends on them) get the same
// ExecutionResult for the same event. The result of executing a live event is a pure function of
// those and of the event, so sharing it cannot change what anyone receives.
//
// Only live-only subscriptions share (LIVE_ONLY_SUBSCRIPTIONS, from the events registry): each
// kind's own, and userEvents without `after`. Anything else (userEvents(after: ...), which
// replays per subscriber; userImportProgress; anything new) goes through graphql's subscribe()
// unchanged. Items that are not events (the final
// SubscriberTooSlowError) are executed per subscriber, so their error names that subscriber's
// own resume point.
//
// A group (one per distinct operation) is reference-counted by its subscribers and dropped when
// the last one ends; it keeps the results of its most recent events, evicting the oldest.
import {
  createSourceEventStream,
  execute,
  getOperationAST,
  Kind,
  OperationTypeNode,
  print,
  subscribe,
  type ExecutionArgs,
  type ExecutionResult,
} from 'graphql';
import type { Context } from './context.js';
import { LIVE_ONLY_SUBSCRIPTIONS } from '../events/event.resolver.js';
import type { UserEvent } from '../events/user-event.model.js';

/** Arguments that make a subscription stateful (replay per subscriber): never shared. */
const STATEFUL_ARGUMENTS = new Set(['after']);

/** Results kept per operation; a subscriber further behind than this re-executes (still correct). */
export const SHARED_RESULTS_PER_OPERATION = 2048;

type Result = ExecutionResult | Promise<ExecutionResult>;

class Group {
  refs = 0;
  readonly results = new Map<bigint, Result>();

  constructor(private readonly limit: number) {}

  resultFor(event: UserEvent, run: () => Result): Result {
    let result = this.results.get(event.sequence);
    if (result === undefined) {
      result = run();
      this.results.set(event.sequence, result);
      if (this.results.size > this.limit) this.results.delete(this.results.keys().next().value!);
    }
    return result;
  }
}

export interface SharedSubscriptions {
  /** Drop-in for graphql-ws's `subscribe` server option. */
  subscribe: (args: ExecutionArgs) => Promise<AsyncGenerator<ExecutionResult> | ExecutionResult>;
  /** Operations with at least one open subscriber (for tests and metrics). */
  readonly groupCount: number;
}

export function sharedSubscriptions(limit = SHARED_RESULTS_PER_OPERATION): SharedSubscriptions {
  const groups = new Map<string, Group>();

  const join = (key: string): Group => {
    let group = groups.get(key);
    if (!group) groups.set(key, (group = new Group(limit)));
    group.refs++;
    return group;
  };
  const leave = (key: string, group: Group): void => {
    if (--group.refs === 0 && groups.get(key) === group) groups.delete(key);
  };

  return {
    get groupCount() {
      return groups.size;
    },
    subscribe: async (args) => {
      const key = shareKey(args);
      if (key === undefined) return subscribe(args);
      // The subscriber's own source stream: the resolver's @Authorized and the events service
      // check this subscriber's principal here, exactly as graphql's subscribe() would.
      const source = await createSourceEventStream(args);
      if (!isAsyncIterable(source)) return source;
      const iterator = source[Symbol.asyncIterator]();
      const executeFor = (rootValue: unknown): Result => execute({ ...args, rootValue });
      const group = join(key);
      let open = true;
      const end = () => {
        if (!open) return;
        open = false;
        leave(key, group);
      };
      const map = async (step: IteratorResult<unknown>): Promise<IteratorResult<ExecutionResult>> => {
        if (step.done) {
          end();
          return { value: undefined, done: true };
        }
        const item = step.value;
        const value = isEvent(item) ? group.resultFor(item, () => executeFor(item)) : executeFor(item);
        return { value: await value, done: false };
      };
      // Like graphql's own mapAsyncIterator: return() reaches the source at once, even while a
      // next() is pending (an async generator function would wait for the next event).
      const mapped: AsyncGenerator<ExecutionResult> = {
        next: () => iterator.next().then(map, (error: unknown) => {
          end();
          throw error;
        }),
        return: async () => {
          end();
          if (typeof iterator.return === 'function') await iterator.return();
          return { value: undefined, done: true };
        },
        throw: async (error: unknown) => {
          end();
          if (typeof iterator.return === 'function') await iterator.return();
          throw error;
        },
        [Symbol.asyncIterator]() {
          return this;
        },
      };
      return mapped;
    },
  };
}

/** The sharing key of a live-only subscription, or undefined when it must not be shared. */
export function shareKey(args: ExecutionArgs): string | undefined {
  const operation = getOperationAST(args.document, args.operationName);
  if (operation?.operation !== OperationTypeNode.SUBSCRIPTION) return undefined;
  const [field, ...rest] = operation.selectionSet.selections;
  if (!field || rest.length > 0 || field.kind !== Kind.FIELD || !LIVE_ONLY_SUBSCRIPTIONS.has(field.name.value)) return undefined;
  const variables = args.variableValues ?? {};
  for (const argument of field.arguments ?? []) {
    if (!STATEFUL_ARGUMENTS.has(argument.name.value)) continue;
    const value = argument.value;
    if (value.kind === Kind.NULL) continue;
    if (value.kind === Kind.VARIABLE) {
      const name = value.name.value;
      const definition = operation.variableDefinitions?.find((d) => d.variable.name.value === name);
      // `after: $after` with $after null (given, or absent without a default) is live-only too.
      const given = name in variables ? variables[name] : definition?.defaultValue?.kind === Kind.NULL ? null : definition?.defaultValue;
      if (given == null) continue;
    }
    return undefined;
  }
  const context = args.contextValue as Partial<Context> | undefined;
  const roles = context?.principal ? [...context.principal.roles].sort().join(',') : '';
  return JSON.stringify([print(args.document), args.operationName ?? null, args.variableValues ?? null, roles]);
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as Partial<AsyncIterable<unknown>> | null)?.[Symbol.asyncIterator] === 'function';
}

function isEvent(item: unknown): item is UserEvent {
  return !(item instanceof Error) && typeof (item as Partial<UserEvent> | null)?.sequence === 'bigint';
}
