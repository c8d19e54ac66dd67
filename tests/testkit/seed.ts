// Seed builders with unique data per test, so files and tests never collide on one database.
import { randomUUID } from 'node:crypto';
import {
  CreateUserDocument,
  UserEventLogDocument,
  type CreateUserInput,
  type UserEventFieldsFragment,
  type UserEventLogQuery,
  type UserEventType,
  type UserFieldsFragment,
} from '../generated/graphql.js';
import type { GraphQLClient } from './graphql.js';

let counter = 0;

export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}.${counter}.${randomUUID().slice(0, 8)}@example.test`;
}

export async function createUser(admin: GraphQLClient, input: Partial<CreateUserInput> = {}): Promise<UserFieldsFragment> {
  const result = await admin.execute(CreateUserDocument, { input: { email: uniqueEmail(), ...input } });
  return result.expectData().createUser;
}

/** Creates a user with a password and returns a client logged in as them. */
export async function clientFor(
  admin: GraphQLClient,
  role: 'ADMIN' | 'VIEWER' | 'USER',
): Promise<{ client: GraphQLClient; user: UserFieldsFragment; password: string }> {
  const password = `pw-${randomUUID()}`;
  const user = await createUser(admin, { role, password, name: `${role} tester` });
  const login = await admin.withToken(undefined).login(user.email, password);
  return { client: admin.withToken(login.accessToken), user, password };
}

/**
 * Every event after sequence `after` (optionally of some types), paged to the end of the log.
 * Tests read "what happened since X" this way rather than "the first N events": on PostgreSQL the
 * run's database is shared by every test file, and its log grows with all of them.
 */
export async function eventsAfter(admin: GraphQLClient, after: string, types?: UserEventType[]): Promise<UserEventFieldsFragment[]> {
  const events: UserEventFieldsFragment[] = [];
  let cursor: string | null = after;
  while (cursor !== null) {
    const page: UserEventLogQuery['userEventLog'] = (await admin.execute(UserEventLogDocument, { types, first: 500, after: cursor })).expectData().userEventLog;
    events.push(...page.edges.map((e) => e.node));
    cursor = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  }
  return events;
}

/** The sequence of a user's first event (its USER_CREATED): a cursor for "since this user existed". */
export async function firstEventOf(admin: GraphQLClient, userId: string): Promise<string> {
  const first = (await admin.execute(UserEventLogDocument, { userId, first: 1 })).expectData().userEventLog.edges[0];
  if (!first) throw new Error(`no event for user ${userId}`);
  return first.node.sequence;
}
