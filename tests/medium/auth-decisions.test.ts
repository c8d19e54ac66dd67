// A resolver and the service it calls name the same permission. Every root field runs once, as an
// ADMIN (who holds every permission, so nothing stops short), through the real schema and the real
// services on a real database, without HTTP; policy.recordAssertions lists the permissions the
// services asserted meanwhile. The first one must be the permission the resolver declares (later
// ones refine it, e.g. users.readDeleted after users.read). A service that asserts another
// permission, or none, fails here; a root field without a sample fails tests/unit/auth-decisions.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { execute, parse, subscribe, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { Upload } from 'graphql-upload-ts';
import { WriteStream } from 'graphql-upload-ts/fs-capacitor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_PRINCIPAL } from '../../src/auth/principal.js';
import { recordAssertions, type Permission } from '../../src/auth/policy.js';
import type { Principal } from '../../src/auth/principal.js';
import { buildContext } from '../../src/http/context.js';
import type { Database } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import { createSchema } from '../../src/schema.js';
import { createServices, type Services } from '../../src/services.js';
import { openTestDatabase } from '../testkit/app.js';
import { rootFieldDecisions, type RootFieldDecision } from '../testkit/permissions.js';
import { isPublicEntry, ROOT_FIELD_SAMPLES, SAMPLE_ADMIN_PASSWORD, SAMPLE_WEBHOOK_URL, type RootFieldSample, type SampleFixtures } from '../testkit/root-field-samples.js';
import { uniqueEmail } from '../testkit/seed.js';

let db: Database;
let services: Services;
let schema: GraphQLSchema;
let admin: Principal;
let decisions: Map<string, RootFieldDecision>;
const log = createLogger('silent');

beforeAll(async () => {
  db = await openTestDatabase();
  services = createServices({
    db,
    jwt: { secret: 'decisions-secret-decisions-secret-0123456789', issuer: 'test', audience: 'test', ttlSeconds: 60 },
    bcryptCost: 4,
  });
  schema = await createSchema();
  decisions = rootFieldDecisions();
  const user = await services.users.create(SYSTEM_PRINCIPAL, { email: uniqueEmail(), role: 'ADMIN', password: SAMPLE_ADMIN_PASSWORD });
  admin = { userId: user.id, roles: ['ADMIN'], expiresAt: new Date(Date.now() + 3_600_000) };
});
afterAll(async () => {
  await db?.prisma.webhook.deleteMany({ where: { url: SAMPLE_WEBHOOK_URL } });
  await services?.stop();
  await db?.close();
});

const fixtures: SampleFixtures = {
  user: async () => {
    const user = await services.users.create(SYSTEM_PRINCIPAL, { email: uniqueEmail() });
    return { id: user.id, email: user.email };
  },
  deletedUser: async () => {
    const user = await services.users.create(SYSTEM_PRINCIPAL, { email: uniqueEmail() });
    await services.lifecycle.delete(SYSTEM_PRINCIPAL, user.id);
    return user.id;
  },
  finishedImport: async () => {
    const source = { filename: 'sample.csv', stream: Readable.from([`email\n${uniqueEmail()}\n`]) };
    const record = await services.imports.start(SYSTEM_PRINCIPAL, source, { dryRun: true });
    return record.id;
  },
  upload: (csv) => {
    // What graphql-upload-ts's middleware builds from a multipart request: the file buffered in a
    // capacitor, handed to the Upload scalar.
    const capacitor = new WriteStream();
    capacitor.end(Buffer.from(csv));
    const upload = new Upload();
    upload.resolve({
      filename: 'sample.csv',
      fieldName: 'file',
      mimetype: 'text/csv',
      encoding: '7bit',
      capacitor,
      createReadStream: (o) => capacitor.createReadStream(o),
    });
    return upload;
  },
  // Disabled at once: on a shared PostgreSQL database, other test files' servers would otherwise
  // try to deliver to it.
  webhook: async () => {
    const { webhook } = await services.webhooks.create(SYSTEM_PRINCIPAL, { url: SAMPLE_WEBHOOK_URL, eventTypes: ['USER_CREATED'] });
    await services.webhooks.update(SYSTEM_PRINCIPAL, webhook.id, { enabled: false });
    return webhook.id;
  },
};

/** Runs the sample as the admin and returns what it answered, errors included. */
async function run(
  field: string,
  sample: RootFieldSample,
  variableValues: Record<string, unknown>,
): Promise<readonly { message: string }[]> {
  // The request declared its length: the upload's size is known to be within the limit.
  const contextValue = buildContext(services, log, randomUUID(), { principal: admin, requestBytes: 1_000 });
  const document = parse(sample.operation);
  if (decisions.get(field)?.operation !== 'subscription') {
    const result = await execute({ schema, document, contextValue, variableValues });
    return result.errors ?? [];
  }
  const stream = await subscribe({ schema, document, contextValue, variableValues });
  if (!(Symbol.asyncIterator in stream)) return stream.errors ?? [];
  const iterator = stream[Symbol.asyncIterator]();
  // Some sources start at the first pull (an async generator): pull once. A live stream has
  // nothing to give yet, so the pull is given a moment, then the subscription ends.
  const first = await Promise.race([
    iterator.next(),
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 200)),
  ]);
  await iterator.return?.();
  return (first?.value as ExecutionResult | undefined)?.errors ?? [];
}

describe('each root field: the service asserts the permission its resolver declares', () => {
  for (const [field, entry] of Object.entries(ROOT_FIELD_SAMPLES)) {
    if (isPublicEntry(entry)) continue;
    it(field, async () => {
      const declared = decisions.get(field)?.declared;
      expect(Array.isArray(declared) && declared.length === 1, `${field} declares one permission`).toBe(true);
      const variables = (await entry.variables?.(fixtures)) ?? {};
      const { result, asserted } = recordAssertions(() => run(field, entry, variables));
      const errors = await result;
      expect(
        errors.map((e) => e.message),
        `${field}'s sample must succeed, so its service is really reached`,
      ).toEqual([]);
      expect(asserted.length, `${field}: the service asserted no permission at all`).toBeGreaterThan(0);
      expect(
        asserted[0],
        `${field}: the resolver declares ${String(declared?.[0])}, the service asserted ${asserted.join(', ')}`,
      ).toBe(declared?.[0] as Permission);
    });
  }
});
