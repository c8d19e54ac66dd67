// Cursors are decoded strictly (issue 9). Before, a cursor whose timestamp was "1" or
// "2026-02-30" (JavaScript's Date parses both, PostgreSQL neither), whose id was 36 dashes
// (which passed /[0-9a-f-]{36}/), or whose key held a NUL answered INTERNAL_SERVER_ERROR, and so
// did an event cursor beyond bigint. Now each is BAD_USER_INPUT on the argument that carried it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { createUser } from '../testkit/seed.js';
import { Subscription, wsClient } from '../testkit/subscriptions.js';

let t: TestApp;
let ids: string[];
beforeAll(async () => {
  t = await startTestApp();
  ids = [];
  for (let i = 0; i < 3; i++) ids.push((await createUser(t.admin, { name: `Cursor ${i}`, lastName: `Last ${i}` })).id);
});
afterAll(async () => {
  await t.stop();
});

type Order = { field: string; direction: 'ASC' | 'DESC' };
const PAGE = 'query($first: Int, $after: String, $last: Int, $before: String, $orderBy: [UserOrder!], $ids: [ID!]) { users(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy, filter: { ids: $ids }) { edges { node { id } } pageInfo { endCursor } } }';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const decode = (cursor: string) => JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { s: string; v: (string | null)[]; i: string };

async function realCursor(orderBy: Order[]): Promise<string> {
  const page = await t.admin.execute<{ users: { pageInfo: { endCursor: string } } }>(PAGE, { first: 1, orderBy, ids });
  return page.expectData().users.pageInfo.endCursor;
}

async function expectBadCursor(cursor: string, orderBy: Order[], label: string): Promise<void> {
  for (const [arg, vars] of [
    ['after', { first: 2, after: cursor }],
    ['before', { last: 2, before: cursor }],
  ] as const) {
    const result = await t.admin.execute(PAGE, { ...vars, orderBy, ids });
    const error = result.body.errors?.[0];
    expect(error?.extensions?.code, `${label} as ${arg}: ${JSON.stringify(result.body)}`).toBe('BAD_USER_INPUT');
    expect(error?.extensions?.fields?.map((f) => f.field), label).toEqual([arg]);
  }
}

describe('listing cursors', () => {
  it('refuse tampered timestamps, ids and shapes with BAD_USER_INPUT on after/before', async () => {
    const byCreated: Order[] = [{ field: 'CREATED_AT', direction: 'DESC' }];
    const real = decode(await realCursor(byCreated));
    const tampered: [string, unknown][] = [
      ['timestamp "1"', { ...real, v: ['1'] }],
      ['timestamp "2026-02-30"', { ...real, v: ['2026-02-30'] }],
      ['timestamp "2026-02-30T00:00:00.000Z"', { ...real, v: ['2026-02-30T00:00:00.000Z'] }],
      ['timestamp without milliseconds', { ...real, v: ['2026-01-01T00:00:00Z'] }],
      ['timestamp with an offset', { ...real, v: ['2026-01-01T00:00:00.000+02:00'] }],
      ['year 0000 (no such year in PostgreSQL)', { ...real, v: ['0000-01-01T00:00:00.000Z'] }],
      ['year +010000', { ...real, v: ['+010000-01-01T00:00:00.000Z'] }],
      ['null for a column that is never null', { ...real, v: [null] }],
      ['a number', { ...real, v: [1] }],
      ['id of 36 dashes', { ...real, i: '-'.repeat(36) }],
      ['id in capitals', { ...real, i: real.i.toUpperCase() }],
      ['id with a NUL', { ...real, i: `${real.i.slice(0, 35)}\u0000` }],
      ['an extra key', { ...real, x: 1 }],
      ['a missing key', { s: real.s, v: real.v }],
      ['too many values', { ...real, v: [...real.v, real.v[0]] }],
      ['an array', [real.s, real.v, real.i]],
      ['JSON null', null],
      ['not JSON', 'not json'],
    ];
    for (const [label, payload] of tampered) await expectBadCursor(b64(payload), byCreated, label);

    const text = await realCursor([{ field: 'EMAIL', direction: 'ASC' }]);
    await expectBadCursor(b64({ ...decode(text), v: ['a\u0000b@example.test'] }), [{ field: 'EMAIL', direction: 'ASC' }], 'NUL inside the email key');
    await expectBadCursor(b64({ ...decode(text), v: ['a\u0007b@example.test'] }), [{ field: 'EMAIL', direction: 'ASC' }], 'a control character inside the email key');
    await expectBadCursor(b64(JSON.stringify({ ...decode(text), v: ['x'] }).replace('"x"', '"\\ud800"')), [{ field: 'EMAIL', direction: 'ASC' }], 'a lone surrogate');
    const byName: Order[] = [{ field: 'NAME', direction: 'ASC' }];
    await expectBadCursor(b64({ ...decode(await realCursor(byName)), v: ['Ada\u0000'] }), byName, 'NUL inside the name key');
    await expectBadCursor(b64({ ...decode(await realCursor(byName)), v: ['x'.repeat(256)] }), byName, 'a name longer than the column');
  });

  it('refuse cursors that are not canonical base64url of UTF-8', async () => {
    const order: Order[] = [{ field: 'CREATED_AT', direction: 'DESC' }];
    const real = await realCursor(order);
    for (const [label, cursor] of [
      ['padding', `${real}==`],
      ['base64 alphabet', Buffer.from(real, 'base64url').toString('base64').replace(/=+$/, '') + '+/'],
      ['a space', ` ${real}`],
      ['non-zero trailing bits', real.slice(0, -1) + (real.endsWith('A') ? 'B' : 'A')],
      ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64url')],
      ['10,000 characters', 'A'.repeat(10_000)],
    ]) {
      // Trailing-bit tampering only applies when the cursor has spare bits; skip it otherwise.
      if (label === 'non-zero trailing bits' && real.length % 4 === 0) continue;
      await expectBadCursor(cursor!, order, label!);
    }
  });

  it('still accept every cursor the server mints, for every sort, both ways', async () => {
    for (const field of ['CREATED_AT', 'UPDATED_AT', 'EMAIL', 'NAME', 'LAST_NAME', 'LAST_LOGIN_AT']) {
      for (const direction of ['ASC', 'DESC'] as const) {
        const orderBy = [{ field, direction }];
        const cursor = await realCursor(orderBy);
        (await t.admin.execute(PAGE, { first: 2, after: cursor, orderBy, ids })).expectData();
        (await t.admin.execute(PAGE, { last: 2, before: cursor, orderBy, ids })).expectData();
      }
    }
  });
});

describe('event cursors', () => {
  it('userEventLog(after) refuses what is not a sequence the bigint column can hold', async () => {
    const query = 'query($a: String) { userEventLog(after: $a, first: 1) { edges { cursor } } }';
    for (const after of ['9223372036854775808', '99999999999999999999', '-1', '1e3', ' 1', '0x10', '']) {
      const result = await t.admin.execute(query, { a: after });
      expect(result.expectError('BAD_USER_INPUT').extensions?.fields?.map((f) => f.field), after).toEqual(['after']);
    }
    (await t.admin.execute(query, { a: '9223372036854775807' })).expectData();
  });

  it('userEvents(after) over WebSocket refuses a sequence beyond bigint', async () => {
    const ws = wsClient(t.wsUrl, t.admin.token);
    try {
      const sub = new Subscription<unknown>(ws.client, 'subscription($a: String) { userEvents(after: $a) { sequence } }', { a: '9223372036854775808' });
      await sub.waitUntil(() => false, 3_000).catch(() => undefined);
      const first = sub.errors[0];
      const error = (Array.isArray(first) ? first[0] : first) as { extensions?: { code?: string } } | undefined;
      expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
    } finally {
      await ws.dispose();
    }
  });
});
