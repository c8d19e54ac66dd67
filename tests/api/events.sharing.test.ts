// Shared execution of identical live-only subscriptions (src/http/subscription.executor.ts):
// subscribers of the same operation still each get every event exactly once and in order, one
// leaving does not stop the others, an unauthorized subscriber never joins, and userEvents(after)
// (which replays per subscriber) is never shared.
import { randomUUID } from 'node:crypto';
import { parse, print, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildContext } from '../../src/http/context.js';
import { formatGraphQLError } from '../../src/errors.js';
import { shareKey, sharedSubscriptions } from '../../src/http/subscription.executor.js';
import { createSchema } from '../../src/schema.js';
import { OnUserCreatedDocument, OnUserEventsDocument, UpdateUserDocument, type UserEventFieldsFragment } from '../generated/graphql.js';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { createUser } from '../testkit/seed.js';
import { eventually, subscribe, wsClient, type Subscription, type WsClient } from '../testkit/subscriptions.js';

let t: TestApp;
let sockets: WsClient[];

beforeAll(async () => {
  t = await startTestApp();
  sockets = [wsClient(t.wsUrl, t.admin.token), wsClient(t.wsUrl, t.admin.token), wsClient(t.wsUrl, t.admin.token)];
});
afterAll(async () => {
  await Promise.all((sockets ?? []).map((s) => s.dispose()));
  await t?.stop();
});

async function live<T>(open: () => Subscription<T>): Promise<Subscription<T>> {
  const before = t.app.services.events.subscriberCount;
  const sub = open();
  await eventually(() => t.app.services.events.subscriberCount > before, 5_000, 'the subscription to start');
  return sub;
}

describe('identical live subscriptions over graphql-ws', () => {
  it('each subscriber gets every event exactly once, in order; one leaving does not stop the other', async () => {
    const [a, b] = [await live(() => subscribe(sockets[0]!, OnUserCreatedDocument)), await live(() => subscribe(sockets[1]!, OnUserCreatedDocument))];
    const first = [await createUser(t.admin), await createUser(t.admin), await createUser(t.admin)].map((u) => u.id);
    const mine = (sub: typeof a, ids: string[]) => sub.results.map((r) => r.userCreated.userId).filter((id) => ids.includes(id));
    await a.waitUntil((r) => first.every((id) => r.some((e) => e.userCreated.userId === id)));
    await b.waitUntil((r) => first.every((id) => r.some((e) => e.userCreated.userId === id)));

    a.stop();
    const second = [await createUser(t.admin), await createUser(t.admin)].map((u) => u.id);
    await b.waitUntil((r) => second.every((id) => r.some((e) => e.userCreated.userId === id)));
    await new Promise((r) => setTimeout(r, 1_000)); // no late duplicate (e.g. from the relay's poll)

    const all = [...first, ...second];
    expect(mine(a, all)).toEqual(first);
    expect(mine(b, all)).toEqual(all);
    // Sequences strictly increase for each subscriber (in order, no duplicate).
    for (const sub of [a, b]) {
      const sequences = sub.results.map((r) => BigInt(r.userCreated.sequence));
      expect(sequences.every((s, i) => i === 0 || s > sequences[i - 1]!)).toBe(true);
    }
    b.stop();
  });

  it('userEvents(after) subscribers still replay their own history next to a live-only one', async () => {
    const user = await createUser(t.admin);
    for (let i = 0; i < 3; i++) (await t.admin.execute(UpdateUserDocument, { id: user.id, input: { name: `before ${i}` } })).expectData();
    const log = (await t.admin.execute<{ userEventLog: { edges: { node: UserEventFieldsFragment }[] } }>(`{ userEventLog(userId: "${user.id}", first: 50) { edges { node { sequence } } } }`))
      .expectData()
      .userEventLog.edges.map((e) => e.node.sequence);
    expect(log).toHaveLength(4);
    const liveOnly = await live(() => subscribe(sockets[0]!, OnUserEventsDocument, { userId: user.id }));
    const fromStart = subscribe(sockets[1]!, OnUserEventsDocument, { userId: user.id, after: log[0]! });
    const fromLater = subscribe(sockets[2]!, OnUserEventsDocument, { userId: user.id, after: log[2]! });
    await fromStart.waitFor(3);
    await fromLater.waitFor(1);
    (await t.admin.execute(UpdateUserDocument, { id: user.id, input: { name: 'after' } })).expectData();
    await liveOnly.waitFor(1);
    await fromStart.waitFor(4);
    await fromLater.waitFor(2);
    await new Promise((r) => setTimeout(r, 500));
    const all = (await t.admin.execute<{ userEventLog: { edges: { node: { sequence: string } }[] } }>(`{ userEventLog(userId: "${user.id}", first: 50) { edges { node { sequence } } } }`))
      .expectData()
      .userEventLog.edges.map((e) => e.node.sequence);
    expect(liveOnly.results.map((r) => r.userEvents.sequence)).toEqual(all.slice(4));
    expect(fromStart.results.map((r) => r.userEvents.sequence)).toEqual(all.slice(1));
    expect(fromLater.results.map((r) => r.userEvents.sequence)).toEqual(all.slice(3));
    for (const sub of [liveOnly, fromStart, fromLater]) sub.stop();
  });
});

describe('sharedSubscriptions', () => {
  const query = print(OnUserCreatedDocument);
  let schema: GraphQLSchema | undefined;

  async function argsFor(roles: ('ADMIN' | 'VIEWER' | 'USER')[], source = query, variableValues?: Record<string, unknown>): Promise<ExecutionArgs> {
    // A principal as a verified token gives it (no user row needed, so no event is emitted).
    const principal = { userId: randomUUID(), roles, expiresAt: new Date(Date.now() + 600_000) };
    schema ??= await createSchema();
    return { schema, document: parse(source), variableValues, contextValue: buildContext(t.app.services, t.app.log, randomUUID(), { principal }) };
  }

  it('runs one execution per event for identical operations, and lets go when the last subscriber leaves', async () => {
    const shared = sharedSubscriptions();
    const [argsX, argsY] = [await argsFor(['ADMIN']), await argsFor(['ADMIN'])];
    const [x, y] = [await shared.subscribe(argsX), await shared.subscribe(argsY)];
    if (!(Symbol.asyncIterator in x) || !(Symbol.asyncIterator in y)) throw new Error('expected two streams');
    expect(shared.groupCount).toBe(1);
    type Created = ExecutionResult<{ userCreated: { userId: string } }>;
    // Other test files may create users meanwhile on a shared database: skip their events.
    const until = async (it: AsyncGenerator<ExecutionResult>, userId: string): Promise<Created> => {
      for (;;) {
        const step: IteratorResult<ExecutionResult> = await it.next();
        if (step.done) throw new Error('stream ended');
        const value = step.value as Created;
        if (value.data?.userCreated.userId === userId) return value;
      }
    };
    const created = await createUser(t.admin);
    const [rx, ry] = await Promise.all([until(x, created.id), until(y, created.id)]);
    expect(rx.data?.userCreated.userId).toBe(created.id);
    expect(ry).toBe(rx); // the same result object: executed once for both
    await x.return(undefined);
    expect(shared.groupCount).toBe(1);
    await y.return(undefined);
    expect(shared.groupCount).toBe(0);
  });

  it('an unauthorized subscriber gets its error and never joins', async () => {
    const shared = sharedSubscriptions();
    const result = await shared.subscribe(await argsFor(['USER']));
    expect(Symbol.asyncIterator in result).toBe(false);
    const error = (result as ExecutionResult).errors?.[0];
    // As the socket sends it (http/websocket.error-format.ts formats it like HTTP errors).
    expect(error && formatGraphQLError(error.toJSON(), error).extensions?.code).toBe('FORBIDDEN');
    expect(shared.groupCount).toBe(0);
  });

  it('shares live-only operations only', async () => {
    const key = async (source: string, variables?: Record<string, unknown>) => shareKey(await argsFor(['ADMIN'], source, variables));
    const events = print(OnUserEventsDocument);
    expect(await key(query)).toBeDefined();
    expect(await key(events, { userId: null })).toBeDefined();
    expect(await key(events, { after: null })).toBeDefined();
    expect(await key(events, { after: '5' })).toBeUndefined();
    expect(await key('subscription { userEvents(after: "5") { sequence } }')).toBeUndefined();
    expect(await key('subscription($a: String = "5") { userEvents(after: $a) { sequence } }')).toBeUndefined();
    expect(await key('subscription { userImportProgress(id: "x") { id } }')).toBeUndefined();
    // Different variables or roles: different groups.
    const updated = 'subscription($u: ID) { userUpdated(userId: $u) { sequence } }';
    expect(await key(updated, { u: 'a' })).not.toBe(await key(updated, { u: 'b' }));
    expect(shareKey(await argsFor(['VIEWER']))).not.toBe(await key(query));
  });
});
