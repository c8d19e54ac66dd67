// Many writes at once: on the embedded database all transactions share one connection, so they
// queue; none may fail for waiting its turn.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateUserDocument } from '../generated/graphql.js';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { uniqueEmail } from '../testkit/seed.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

describe('concurrent writes', () => {
  it('300 concurrent createUser calls all succeed', async () => {
    const results = await Promise.all(
      Array.from({ length: 300 }, () => t.admin.execute(CreateUserDocument, { input: { email: uniqueEmail('burst'), password: 'burst-password' } })),
    );
    const errors = results.flatMap((r) => r.body.errors ?? []);
    expect(errors).toEqual([]);
  });
});
