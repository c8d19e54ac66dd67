// Operation limits (README, Operation limits): refused before anything runs, with a code naming
// the limit, over HTTP and WebSocket; configurable; the cost model as documented.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { eventually, wsClient } from '../testkit/subscriptions.js';

let t: TestApp;
beforeAll(async () => {
  t = await quiet(await startTestApp());
});
afterAll(async () => {
  await t?.stop();
});

const NODE = 'id email name firstName lastName role isActive createdAt createdBy { id email name role }';

/**
 * Background jobs (outbox relay poll, suspension expiry) would add their statements to the
 * count: these apps run none (nothing here needs events delivered).
 */
async function quiet(app: TestApp): Promise<TestApp> {
  await app.app.services.stop();
  return app;
}

/** Runs the query and asserts the database saw no statement for it. */
async function refusedBeforeExecution(app: TestApp, query: string, variables?: Record<string, unknown>) {
  const before = app.app.services.db.queryCount;
  const result = await app.admin.execute(query, variables);
  expect(app.app.services.db.queryCount - before, 'statements run for a refused operation').toBe(0);
  expect(result.status).toBe(400);
  expect(result.body.data).toBeUndefined();
  return result;
}

describe('operation limits (defaults)', () => {
  it("refuses the issue's 200 aliased users(first: 100) with MAX_ALIASES_EXCEEDED", async () => {
    const query = `{ ${Array.from({ length: 200 }, (_, i) => `a${i}: users(first: 100) { edges { node { id email } } }`).join(' ')} }`;
    const error = (await refusedBeforeExecution(t, query)).expectError('MAX_ALIASES_EXCEEDED');
    expect(error.extensions).toMatchObject({ status: 400, limit: 15, actual: 200 });
  });

  it('allows 15 aliases', async () => {
    const query = `{ ${Array.from({ length: 15 }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
    (await t.admin.execute(query)).expectData();
  });

  it('refuses createdBy nested 40 levels deep with MAX_DEPTH_EXCEEDED, and allows depth 10', async () => {
    const nest = (levels: number) => `{ me { ${'createdBy { '.repeat(levels - 2)}id${' }'.repeat(levels - 2)} } }`;
    const error = (await refusedBeforeExecution(t, nest(40))).expectError('MAX_DEPTH_EXCEEDED');
    expect(error.extensions).toMatchObject({ limit: 10, actual: 40 });
    (await t.admin.execute(nest(10))).expectData();
    (await refusedBeforeExecution(t, nest(11))).expectError('MAX_DEPTH_EXCEEDED');
  });

  it('refuses 20,000 aliases at the lexer, with MAX_TOKENS_EXCEEDED', async () => {
    const query = `{ ${Array.from({ length: 20_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    const error = (await refusedBeforeExecution(t, query)).expectError('MAX_TOKENS_EXCEEDED');
    expect(error.extensions).toMatchObject({ limit: 5000 });
  });

  it('refuses too many directives with MAX_DIRECTIVES_EXCEEDED', async () => {
    const query = `{ me { ${Array.from({ length: 11 }, () => 'id @include(if: true)').join(' ')} } }`;
    (await refusedBeforeExecution(t, query)).expectError('MAX_DIRECTIVES_EXCEEDED');
  });

  it('refuses an operation whose cost is over the limit, counting first × the selection, variables included', async () => {
    // 1 + 100 × (edges 1 + node 1 + 8 fields + createdBy (1 + 4)) = 1,501 per alias.
    const page = (i: number) => `a${i}: users(first: $n) { edges { node { ${NODE} } } }`;
    const query = `query($n: Int) { ${Array.from({ length: 14 }, (_, i) => page(i)).join(' ')} }`;
    const error = (await refusedBeforeExecution(t, query, { n: 100 })).expectError('MAX_COST_EXCEEDED');
    expect(error.extensions).toMatchObject({ limit: 20_000, actual: 14 * 1_501 });
    // The same document with smaller pages is within it.
    (await t.admin.execute(query, { n: 5 })).expectData();
    // The gate keeps documents that passed by their text (operation.gate.ts); the cost still
    // follows each request's variables.
    (await refusedBeforeExecution(t, query, { n: 100 })).expectError('MAX_COST_EXCEEDED');
  });

  it('follows the variables of @include and @skip as well as first/last when the cost is remembered', async () => {
    // The gate remembers a document's cost by the values of the variables the cost can depend
    // on; one that reaches the count only through a directive must be among them.
    const page = (i: number) => `a${i}: users(first: 100, filter: $filter) { edges { node { ${NODE} } } }`;
    const pages = `fragment Pages on Query { ${Array.from({ length: 14 }, (_, i) => page(i)).join(' ')} }`;
    const query = `query($all: Boolean!, $filter: UserFilter) { me { id } ...Pages @include(if: $all) } ${pages}`;
    (await t.admin.execute(query, { all: false, filter: { isActive: true } })).expectData();
    (await refusedBeforeExecution(t, query, { all: true, filter: { isActive: true } })).expectError('MAX_COST_EXCEEDED');
    (await t.admin.execute(query, { all: false, filter: { isActive: false } })).expectData();
    const skipped = query.replace(/@include\(if: \$all\)/g, '@skip(if: $all)');
    (await t.admin.execute(skipped, { all: true, filter: null })).expectData();
    (await refusedBeforeExecution(t, skipped, { all: false, filter: null })).expectError('MAX_COST_EXCEEDED');
  });

  it('applies the same limits to subscriptions over WebSocket', async () => {
    const ws = wsClient(t.wsUrl, t.admin.token);
    try {
      const errors: unknown[] = [];
      ws.client.subscribe(
        { query: `subscription { ${Array.from({ length: 16 }, (_, i) => `a${i}: userCreated { id }`).join(' ')} }` },
        { next: () => undefined, error: (e) => errors.push(e), complete: () => undefined },
      );
      await eventually(() => errors.length > 0, 5_000, 'the subscription to be refused');
      expect(JSON.stringify(errors[0])).toContain('MAX_ALIASES_EXCEEDED');
    } finally {
      await ws.dispose();
    }
  });
});

describe('operation limits (configured)', () => {
  let small: TestApp;
  beforeAll(async () => {
    small = await quiet(await startTestApp({ env: { MAX_COST: '50', MAX_DEPTH: '4', MAX_ALIASES: '1' } }));
  });
  afterAll(async () => {
    await small?.stop();
  });

  it('takes each limit from the environment', async () => {
    // users(first: 20) { edges { node { id } } } costs 1 + 20 × 3 = 61; first: 10 costs 31.
    const cost = (await refusedBeforeExecution(small, '{ users(first: 20) { edges { node { id } } } }')).expectError('MAX_COST_EXCEEDED');
    expect(cost.extensions).toMatchObject({ limit: 50, actual: 61 });
    (await small.admin.execute('{ users(first: 10) { edges { node { id } } } }')).expectData();
    // Without first, the default page size (20) counts.
    (await refusedBeforeExecution(small, '{ users { edges { node { id } } } }')).expectError('MAX_COST_EXCEEDED');
    (await refusedBeforeExecution(small, '{ users(first: 1) { edges { node { createdBy { id } } } } }')).expectError('MAX_DEPTH_EXCEEDED');
    (await refusedBeforeExecution(small, '{ a: me { id } b: me { id } }')).expectError('MAX_ALIASES_EXCEEDED');
  });
});

describe('TRUSTED_DOCUMENTS', () => {
  const allowed = 'query Me { me { id email } }';
  const hash = createHash('sha256').update(allowed).digest('hex');
  let trusted: TestApp;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trusted-'));
    const file = join(dir, 'persisted-documents.json');
        // The testkit's own login, which startTestApp runs, is one of the app's operations too.
    const login = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken expiresAt user { id } } }';
    writeFileSync(file, JSON.stringify({ [hash]: allowed, login }));
    trusted = await quiet(await startTestApp({ env: { TRUSTED_DOCUMENTS: file } }));
  });
  afterAll(async () => {
    await trusted?.stop();
  });

  it('runs the listed operations, sent as text or by hash, and refuses any other', async () => {
    expect((await trusted.admin.execute<{ me: { email: string } }>(allowed)).expectData().me.email).toBeTruthy();
    (await refusedBeforeExecution(trusted, '{ me { id } }')).expectError('OPERATION_NOT_TRUSTED');
    for (const body of [{ documentId: hash }, { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }]) {
      const response = await fetch(trusted.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${trusted.admin.token}` },
        body: JSON.stringify(body),
      });
      expect(((await response.json()) as { data: { me: { id: string } } }).data.me.id).toBeTruthy();
    }
  });
});
