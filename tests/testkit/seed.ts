// Seed builders with unique data per test, so files and tests never collide on one database.
import { randomUUID } from 'node:crypto';
import { CreateUserDocument, type CreateUserInput, type UserFieldsFragment } from '../generated/graphql.js';
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
