// Text is checked before the database sees it (issue 9). Before, a NUL byte in any text argument
// reached PostgreSQL, which refused the statement: INTERNAL_SERVER_ERROR. Now every String and ID
// position of every root field, found by walking the schema, answers BAD_USER_INPUT naming it;
// names and reasons refuse control and bidirectional formatting characters; emails keep
// RFC 5321's 64-octet local part; and library callers get the same answers as the API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_PRINCIPAL } from '../../src/auth/principal.js';
import { BadUserInputError } from '../../src/errors.js';
import { createSchema } from '../../src/schema.js';
import { startTestApp, type TestApp } from '../testkit/app.js';
import type { GraphQLErrorShape } from '../testkit/graphql.js';
import { clientFor, createUser, uniqueEmail } from '../testkit/seed.js';
import { Subscription, wsClient } from '../testkit/subscriptions.js';
import { csv, uploadCsv } from '../testkit/upload.js';
import { plainFiller, textPositions, type TextPosition } from '../testkit/text-arguments.js';

let t: TestApp;
let positions: TextPosition[];
beforeAll(async () => {
  t = await startTestApp();
  positions = textPositions(await createSchema());
});
afterAll(async () => {
  await t.stop();
});

const NUL = 'a\u0000b';
const LONE_SURROGATE = 'a\uD800b';

function fieldsOf(error: GraphQLErrorShape | undefined): string[] {
  return (error?.extensions?.fields ?? []).map((f) => f.field);
}

async function firstSubscriptionError(query: string, variables: Record<string, unknown>): Promise<GraphQLErrorShape | undefined> {
  const ws = wsClient(t.wsUrl, t.admin.token);
  try {
    const sub = new Subscription<unknown>(ws.client, query, variables);
    await sub.waitUntil(() => false, 3_000).catch(() => undefined);
    sub.stop();
    const first = sub.errors[0];
    return (Array.isArray(first) ? first[0] : first) as GraphQLErrorShape | undefined;
  } finally {
    await ws.dispose();
  }
}

describe('every text argument of the schema', () => {
  it('finds the text positions of every root field (the walk is not empty)', () => {
    const names = positions.map((p) => `${p.field}(${p.path})`);
    expect(names).toEqual(
      expect.arrayContaining([
        'login(email)',
        'login(password)',
        'userByEmail(email)',
        'users(after)',
        'users(before)',
        'users(filter.search)',
        'users(filter.email)',
        'users(filter.ids.0)',
        'createUser(input.name)',
        'updateMe(input.lastName)',
        'suspendUser(reason)',
        'bulkSuspendUsers(ids.0)',
        'userEventLog(after)',
        'exportUsers(filter.email)',
        'userEvents(after)',
        'userImportProgress(id)',
      ]),
    );
  });

  for (const [label, value] of [
    ['a NUL', NUL],
    ['a lone surrogate', LONE_SURROGATE],
  ] as const) {
    it(`answers ${label} at every query and mutation position with BAD_USER_INPUT naming it`, async () => {
      const wrong: string[] = [];
      for (const position of positions.filter((p) => p.kind !== 'subscription')) {
        const { query, variables } = position.request(value, plainFiller);
        const client = position.field === 'login' ? t.anonymous : t.admin;
        const result = await client.execute(query, variables);
        const error = result.body.errors?.[0];
        if (error?.extensions?.code !== 'BAD_USER_INPUT' || !fieldsOf(error).includes(position.path)) {
          wrong.push(`${position.field}(${position.path}): ${JSON.stringify(result.body.errors ?? result.body.data)}`);
        }
      }
      expect(wrong).toEqual([]);
    });
  }

  it('answers a NUL at every subscription position with BAD_USER_INPUT naming it (WebSocket)', async () => {
    const wrong: string[] = [];
    for (const position of positions.filter((p) => p.kind === 'subscription')) {
      const { query, variables } = position.request(NUL, plainFiller);
      const error = await firstSubscriptionError(query, variables);
      if (error?.extensions?.code !== 'BAD_USER_INPUT' || !fieldsOf(error).includes(position.path)) {
        wrong.push(`${position.field}(${position.path}): ${JSON.stringify(error)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('checks text before authorization, as GraphQL checks variable types: an anonymous NUL is BAD_USER_INPUT', async () => {
    // The guard answers from the request's text alone, as GraphQL's own variable checks do; an
    // anonymous caller learns nothing but that NUL is not allowed.
    const result = await t.anonymous.execute('query($e: String!) { userByEmail(email: $e) { id } }', { e: NUL });
    expect(fieldsOf(result.expectError('BAD_USER_INPUT'))).toEqual(['email']);
    const clean = await t.anonymous.execute('query($e: String!) { userByEmail(email: $e) { id } }', { e: 'a@example.test' });
    clean.expectError('UNAUTHENTICATED');
  });
});

describe('names', () => {
  const refused: [string, string, RegExp][] = [
    ['BEL', 'Ada\u0007Lovelace', /control characters/],
    ['newline inside', 'Ada\nLovelace', /control characters/],
    ['tab inside', 'Ada\tLovelace', /control characters/],
    ['DEL', 'Ada\u007F', /control characters/],
    ['C1 NEL', 'Ada\u0085', /control characters/],
    ['right-to-left override', 'invoice\u202Efdp.exe', /bidirectional/],
    ['left-to-right embedding', 'a\u202Ab', /bidirectional/],
    ['right-to-left isolate', 'a\u2067b', /bidirectional/],
    ['pop directional isolate', 'a\u2069b', /bidirectional/],
    ['right-to-left mark', 'a\u200Fb', /bidirectional/],
    ['left-to-right mark', 'a\u200Eb', /bidirectional/],
    ['lone high surrogate', 'Ada\uD83D', /lone surrogate/],
    ['lone low surrogate', '\uDE00Ada', /lone surrogate/],
  ];

  it('refuse control, bidirectional formatting and lone surrogate characters, naming the problem, in createUser, updateUser and updateMe', async () => {
    const target = await createUser(t.admin);
    const { client: user } = await clientFor(t.admin, 'USER');
    for (const [label, name, message] of refused) {
      for (const field of ['name', 'firstName', 'lastName'] as const) {
        const created = await t.admin.execute('mutation($i: CreateUserInput!) { createUser(input: $i) { id } }', { i: { email: uniqueEmail(), [field]: name } });
        const updated = await t.admin.execute('mutation($id: ID!, $i: UpdateUserInput!) { updateUser(id: $id, input: $i) { id } }', { id: target.id, i: { [field]: name } });
        const mine = await user.execute('mutation($i: UpdateMeInput!) { updateMe(input: $i) { id } }', { i: { [field]: name } });
        for (const result of [created, updated, mine]) {
          const error = result.expectError('BAD_USER_INPUT');
          expect(fieldsOf(error), `${label} in ${field}`).toEqual([`input.${field}`]);
          expect(error.extensions?.fields?.[0]?.message, `${label} in ${field}`).toMatch(message);
        }
      }
    }
  });

  it('accept letters of every script, accents, emoji and ZWJ sequences; trim surrounding whitespace', async () => {
    for (const name of ['José Ñúñez', '李小龍', 'עִבְרִית', 'محمد علي', 'Zoë 🌸', '👩‍👩‍👧 family', "O'Brien-Smith"]) {
      const result = await t.admin.execute<{ createUser: { name: string } }>('mutation($i: CreateUserInput!) { createUser(input: $i) { name } }', {
        i: { email: uniqueEmail(), name: `  ${name}\n` },
      });
      expect(result.expectData().createUser.name).toBe(name);
    }
  });
});

describe('emails', () => {
  it('keep the local part to 64 octets (RFC 5321) and the whole address to 255', async () => {
    const ok = `${'a'.repeat(64)}@example.test`;
    expect((await t.admin.execute<{ createUser: { email: string } }>('mutation($i: CreateUserInput!) { createUser(input: $i) { email } }', { i: { email: ok } })).expectData().createUser.email).toBe(ok);
    const long = await t.admin.execute('mutation($i: CreateUserInput!) { createUser(input: $i) { id } }', { i: { email: `${'b'.repeat(65)}@example.test` } });
    expect(long.expectError('BAD_USER_INPUT').extensions?.fields).toEqual([{ field: 'input.email', message: 'the part before @ must be at most 64 octets' }]);
    const whole = await t.admin.execute('mutation($i: CreateUserInput!) { createUser(input: $i) { id } }', { i: { email: `c@${'d'.repeat(62)}.${'e'.repeat(62)}.${'f'.repeat(62)}.${'g'.repeat(62)}.test` } });
    expect(whole.expectError('BAD_USER_INPUT').extensions?.fields).toEqual([{ field: 'input.email', message: 'must be at most 255 characters' }]);
  });

  it('lookups refuse control characters no stored email can have: userByEmail, filter.email, login', async () => {
    const lookup = await t.admin.execute('query($e: String!) { userByEmail(email: $e) { id } }', { e: 'a\u0001b@example.test' });
    expect(lookup.expectError('BAD_USER_INPUT').extensions?.fields).toEqual([{ field: 'email', message: 'must not contain control characters' }]);
    const filter = await t.admin.execute('query($e: String) { users(filter: { email: $e }) { edges { cursor } } }', { e: 'a\tb@example.test' });
    expect(fieldsOf(filter.expectError('BAD_USER_INPUT'))).toEqual(['filter.email']);
    const login = await t.anonymous.execute('mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }', { e: 'admin\u001b@example.test', p: 'whatever-password' });
    expect(fieldsOf(login.expectError('BAD_USER_INPUT'))).toEqual(['email']);
  });

  it('login refuses an email longer than any stored one as input, before the throttle and the login history see it', async () => {
    const login = await t.anonymous.execute('mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }', {
      e: `${'x'.repeat(400)}@example.test`,
      p: 'whatever-password',
    });
    expect(login.expectError('BAD_USER_INPUT').extensions?.fields).toEqual([{ field: 'email', message: 'must be at most 255 characters' }]);
  });
});

describe('other text', () => {
  it('passwords: NUL or a lone surrogate is BAD_USER_INPUT when set and at login; other characters are allowed', async () => {
    const created = await t.admin.execute('mutation($i: CreateUserInput!) { createUser(input: $i) { id } }', { i: { email: uniqueEmail(), password: 'pass\uDC00word' } });
    expect(fieldsOf(created.expectError('BAD_USER_INPUT'))).toEqual(['input.password']);
    const login = await t.anonymous.execute('mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }', { e: 'admin@example.test', p: 'admin-password-1\u0000' });
    expect(fieldsOf(login.expectError('BAD_USER_INPUT'))).toEqual(['password']);
    const email = uniqueEmail();
    await createUser(t.admin, { email, password: 'tab\tand\u0007bell pass' });
    await t.anonymous.login(email, 'tab\tand\u0007bell pass');
  });

  it('suspension reasons are one line of plain text', async () => {
    const target = await createUser(t.admin);
    for (const [reason, message] of [
      ['first line\nsecond line', /control characters/],
      ['fraud\u0000', /NUL/],
      ['refund \u202Egnp.exe', /bidirectional/],
      ['   ', /must not be empty/],
      ['x'.repeat(501), /at most 500/],
    ] as const) {
      for (const mutation of ['suspendUser(id: $id, reason: $r) { id }', 'bulkSuspendUsers(ids: [$id], reason: $r) { succeeded }']) {
        const result = await t.admin.execute(`mutation($id: ID!, $r: String!) { ${mutation} }`, { id: target.id, r: reason });
        const error = result.expectError('BAD_USER_INPUT');
        expect(fieldsOf(error)).toEqual(['reason']);
        expect(error.extensions?.fields?.[0]?.message).toMatch(message);
      }
    }
    const ok = await t.admin.execute<{ suspendUser: { suspensionReason: string } }>('mutation($id: ID!, $r: String!) { suspendUser(id: $id, reason: $r) { suspensionReason } }', {
      id: target.id,
      r: '  chargeback — ticket #4711  ',
    });
    expect(ok.expectData().suspendUser.suspensionReason).toBe('chargeback — ticket #4711');
  });

  it('avatarUrl refuses control characters a URL parser would silently drop', async () => {
    const result = await t.admin.execute('mutation($i: CreateUserInput!) { createUser(input: $i) { id } }', { i: { email: uniqueEmail(), avatarUrl: 'https://cdn.example/a\t.png' } });
    expect(result.expectError('BAD_USER_INPUT').extensions?.fields).toContainEqual({ field: 'input.avatarUrl', message: 'must not contain control characters' });
  });

  it('search drops other control characters (as before) but refuses NUL', async () => {
    const found = await t.admin.execute<{ users: { edges: unknown[] } }>('query($s: String) { users(filter: { search: $s }) { edges { cursor } } }', { s: 'admin\u0007' });
    expect(found.expectData().users.edges.length).toBeGreaterThan(0);
    const nul = await t.admin.execute('query($s: String) { users(filter: { search: $s }) { edges { cursor } } }', { s: 'admin\u0000' });
    expect(fieldsOf(nul.expectError('BAD_USER_INPUT'))).toEqual(['filter.search']);
  });
});

describe('CSV rows follow the same rulebook', () => {
  it('row errors name the row and field for control and bidirectional characters in names, long local parts and bad URLs', async () => {
    const [good, bell, bidi, rtlMark, avatar, reasonable] = Array.from({ length: 6 }, () => uniqueEmail('csv'));
    const file = csv([
      ['email', 'name', 'firstName', 'lastName', 'avatarUrl'],
      [good!, 'José Ñúñez', 'José', 'Ñúñez', ''],
      [bell!, 'Ada\u0007', '', '', ''],
      [bidi!, 'invoice\u202Efdp.exe', '', '', ''],
      [rtlMark!, '', 'a\u200Fb', 'c\u2066d', ''],
      [`${'x'.repeat(65)}@example.test`, 'Long Local', '', '', ''],
      [avatar!, '', '', '', 'https://cdn.example/a\u000b.png'],
      [reasonable!, 'Say "hi", twice', '', '', ''],
    ]);
    const result = (await uploadCsv(t.admin, file)).expectData().importUsers;
    expect(result).toMatchObject({ status: 'SUCCEEDED', created: 2, failed: 5 });
    expect(result.errors.map((e) => [e.row, e.field, e.code, e.message])).toEqual([
      [3, 'name', 'INVALID_VALUE', 'must not contain control characters'],
      [4, 'name', 'INVALID_VALUE', expect.stringMatching(/^must not contain bidirectional formatting characters/)],
      [5, 'firstName', 'INVALID_VALUE', expect.stringMatching(/bidirectional/)],
      [5, 'lastName', 'INVALID_VALUE', expect.stringMatching(/bidirectional/)],
      [6, 'email', 'INVALID_VALUE', 'the part before @ must be at most 64 octets'],
      [7, 'avatarUrl', 'INVALID_VALUE', 'must not contain control characters'],
    ]);
    expect(result.errors.find((e) => e.row === 3)?.email).toBe(bell);
  });

  it("keeps an uploaded file's name storable: cut at 255 characters without splitting an emoji", async () => {
    const filename = `${'a'.repeat(254)}😀😀.csv`;
    const result = (await uploadCsv(t.admin, `email\n${uniqueEmail('file')}\n`, { filename })).expectData().importUsers;
    expect(result.status).toBe('SUCCEEDED');
    expect(result.filename).toBe(`${'a'.repeat(254)}😀`);
  });
});

describe('library callers get the same answers as the API', () => {
  it('services refuse NUL and control characters with BadUserInputError naming the field, before the database', async () => {
    const { users, lifecycle, auth, events } = t.app.services;
    const target = await createUser(t.admin);
    const cases: [string, () => Promise<unknown>, string][] = [
      ['getByEmail', () => users.getByEmail(SYSTEM_PRINCIPAL, NUL), 'email'],
      ['list filter.email', () => users.list(SYSTEM_PRINCIPAL, { filter: { email: NUL } }), 'filter.email'],
      ['list filter.search', () => users.list(SYSTEM_PRINCIPAL, { filter: { search: NUL } }), 'filter.search'],
      ['create name', () => users.create(SYSTEM_PRINCIPAL, { email: uniqueEmail(), name: NUL }), 'input.name'],
      ['create lone surrogate', () => users.create(SYSTEM_PRINCIPAL, { email: uniqueEmail(), lastName: LONE_SURROGATE }), 'input.lastName'],
      ['create avatarUrl', () => users.create(SYSTEM_PRINCIPAL, { email: uniqueEmail(), avatarUrl: `https://a.example/${NUL}` }), 'input.avatarUrl'],
      ['create email', () => users.create(SYSTEM_PRINCIPAL, { email: `a${NUL}@example.test` }), 'input.email'],
      ['update password', () => users.update(SYSTEM_PRINCIPAL, target.id, { password: `password${NUL}` }), 'input.password'],
      ['suspend reason', () => lifecycle.suspend(SYSTEM_PRINCIPAL, target.id, NUL), 'reason'],
      ['bulkSuspend reason', () => lifecycle.bulkSuspend(SYSTEM_PRINCIPAL, [target.id], NUL), 'reason'],
      ['login email', () => auth.login(`admin${NUL}@example.test`, 'x'), 'email'],
      ['event log after', () => events.log(SYSTEM_PRINCIPAL, { after: '9223372036854775808' }), 'after'],
    ];
    for (const [label, call, field] of cases) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, label).toBeInstanceOf(BadUserInputError);
      expect((error as BadUserInputError).fields.map((f) => f.field), label).toEqual([field]);
    }
  });
});
