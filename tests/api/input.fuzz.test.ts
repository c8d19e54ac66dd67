// A property test over real HTTP (issue 9): random and hostile strings at every text argument
// of every query and mutation (found by walking the schema), and random or tampered cursors, never
// get a 500 or INTERNAL_SERVER_ERROR. BAD_USER_INPUT, another client error or a normal answer are
// all fine. The other required arguments are plausible (an existing user's id, a fresh email), so
// the random value travels as far as it can: through the rulebook into the database.
//
// Deterministic: the seed is fixed (FUZZ_SEED overrides it), and a failure prints the seed, the
// shrunk request and the answer. About 450 requests; a few seconds.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchema } from '../../src/schema.js';
import { startTestApp, type TestApp } from '../testkit/app.js';
import type { GraphQLClient } from '../testkit/graphql.js';
import { createUser, uniqueEmail } from '../testkit/seed.js';
import { textPositions, type Filler, type TextPosition } from '../testkit/text-arguments.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261130);

let t: TestApp;
let byLabel: Map<string, TextPosition>;
let victim: { id: string; email: string };
beforeAll(async () => {
  t = await startTestApp();
  const positions = textPositions(await createSchema()).filter((p) => p.kind !== 'subscription');
  byLabel = new Map(positions.map((p) => [`${p.kind} ${p.field}(${p.path})`, p]));
  victim = await createUser(t.admin, { password: 'fuzz-password-1', name: 'Fuzz Victim' });
});
afterAll(async () => {
  await t.stop();
});

/** Valid values for the arguments not under test, so the random one reaches the database. */
const plausible: Filler = (name, scalar) => {
  switch (name) {
    case 'email':
      return uniqueEmail('fuzz');
    case 'password':
      return 'fuzz-password-1';
    case 'reason':
      return 'fuzzing';
    default:
      return scalar === 'ID' ? victim.id : 'fuzz';
  }
};

const SPECIAL = [
  '\u0000', '\u0001', '\u0007', '\t', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u00a0',
  '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\u202A', '\u202E', '\u2066', '\u2069', '\u200E', '\u200F', '\u061C',
  '\u2028', '\uFEFF', '\uFFFD', '\uFFFF', '😀', '👩‍👩‍👧', 'é', 'ß', 'İ', 'a', 'Z', '0', '9', '@', '.', '-', '_', '+', ' ', '%', '\\', '"', "'", ';', '$', '{', '}',
];

/** Strings a careless or hostile client sends: control and bidi characters, lone surrogates, long, near-valid. */
const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.constantFrom(...SPECIAL), maxLength: 40 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString('utf8')),
  fc.constantFrom(63, 64, 65, 100, 101, 255, 256, 500, 501, 512, 513, 5_000).map((n) => 'x'.repeat(n)),
  fc.tuple(fc.emailAddress(), fc.constantFrom(...SPECIAL), fc.nat()).map(([email, c, at]) => email.slice(0, at % (email.length + 1)) + c + email.slice(at % (email.length + 1))),
  fc.tuple(fc.uuid(), fc.constantFrom('', '\u0000', '-', 'x', '\uD800')).map(([id, c]) => (c === 'x' ? id.toUpperCase() : id + c)),
  fc.constantFrom('', ' ', '-1', '0', '9223372036854775807', '9223372036854775808', '1e3', 'null', 'undefined', '-'.repeat(36), '00000000-0000-0000-0000-000000000000'),
);

const SORT_FIELDS = ['CREATED_AT', 'UPDATED_AT', 'EMAIL', 'NAME', 'LAST_NAME', 'LAST_LOGIN_AT'] as const;
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A cursor-shaped value: random base64url, or a well-formed payload with one tampered part. */
const cursorFor = (field: (typeof SORT_FIELDS)[number], direction: string): fc.Arbitrary<string> => {
  const signature = `${field}:${direction}`;
  const value: fc.Arbitrary<unknown> = fc.oneof(
    hostileString,
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    fc.constantFrom('1', '2026-02-30', '2026-02-30T00:00:00.000Z', '0000-01-01T00:00:00.000Z', '2026-01-01T00:00:00Z', null, 0, true, [], {}),
  );
  const id: fc.Arbitrary<unknown> = fc.oneof(fc.uuid(), hostileString, fc.constant('-'.repeat(36)), fc.constant(null));
  return fc.oneof(
    fc.base64String({ maxLength: 200 }).map((s) => s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')),
    hostileString,
    fc.record({ s: fc.oneof(fc.constant(signature), hostileString), v: fc.array(value, { maxLength: 2 }), i: id }).map(b64),
    fc.tuple(value, id).map(([v, i]) => b64({ s: signature, v: [v], i })),
    fc.jsonValue().map(b64),
  );
};

async function expectNo500(client: GraphQLClient, query: string, variables: Record<string, unknown>): Promise<void> {
  const result = await client.execute(query, variables);
  const codes = (result.body.errors ?? []).map((e) => e.extensions?.code);
  const ok = result.status < 500 && codes.every((code) => typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR');
  expect(ok, `HTTP ${result.status} for ${query} ${JSON.stringify(variables).slice(0, 500)}: ${JSON.stringify(result.body).slice(0, 500)}`).toBe(true);
}

describe('hostile input never answers 500', () => {
  it('random strings at every text argument of every query and mutation', async () => {
    await fc.assert(
      // Positions by name, so a failure prints `mutation createUser(input.name)`.
      fc.asyncProperty(fc.constantFrom(...byLabel.keys()), hostileString, async (label, value) => {
        const position = byLabel.get(label)!;
        const { query, variables } = position.request(value, plausible);
        await expectNo500(position.field === 'login' ? t.anonymous : t.admin, query, variables);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('random and tampered cursors for users(after/before) and userEventLog(after)', async () => {
    const listing = fc
      .tuple(fc.constantFrom(...SORT_FIELDS), fc.constantFrom('ASC', 'DESC'), fc.boolean())
      .chain(([field, direction, backward]) => fc.tuple(fc.constant({ field, direction, backward }), cursorFor(field, direction)));
    await fc.assert(
      fc.asyncProperty(listing, async ([{ field, direction, backward }, cursor]) => {
        const query = `query($c: String, $o: [UserOrder!]) { users(${backward ? 'last: 5, before: $c' : 'first: 5, after: $c'}, orderBy: $o) { edges { cursor } } }`;
        await expectNo500(t.admin, query, { c: cursor, o: [{ field, direction }] });
      }),
      { seed: SEED, numRuns: 120 },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileString, fc.bigInt({ min: -1n, max: 2n ** 66n }).map(String)), async (after) => {
        await expectNo500(t.admin, 'query($a: String) { userEventLog(after: $a, first: 2) { edges { cursor } } }', { a: after });
      }),
      { seed: SEED, numRuns: 40 },
    );
  });
});
