// exportUserData (GDPR Art. 15): one JSON document with the profile, attributes and the event
// log, behind the same kind of signed, short-lived link as exportUsers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { clientFor, createUser } from '../testkit/seed.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.stop();
});

const EXPORT = 'mutation($id: ID!) { exportUserData(id: $id) { url expiresAt format } }';

interface Document {
  exportedAt: string;
  user: Record<string, unknown>;
  events: { sequence: string; type: string; occurredAt: string; actorId: string | null; payload: Record<string, unknown> }[];
  sessions: { id: string; userAgent: string | null; revokedReason: string | null }[];
  loginHistory: { kind: string; outcome: string; reason: string | null; sessionId: string | null }[];
}

describe('exportUserData', () => {
  it('links (without a bearer token) to one JSON document: profile with attributes and status, and every event about the user', async () => {
    const user = await createUser(t.admin, {
      name: 'Ada Lovelace',
      password: 'never-in-the-export',
      attributes: { plan: 'pro' },
    });
    (
      await t.admin.execute('mutation($id: ID!) { patchUserAttributes(id: $id, patch: { seats: 3 }) { id } }', { id: user.id })
    ).expectData();
    // Sign-ins: one that worked, one with a wrong password.
    const login = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { sessionId } }';
    const session = (
      await t.anonymous.execute<{ login: { sessionId: string } }>(login, { e: user.email, p: 'never-in-the-export' })
    ).expectData().login;
    (await t.anonymous.execute(login, { e: user.email, p: 'a wrong password' })).expectError('UNAUTHENTICATED');
    (
      await t.admin.execute('mutation($ids: [ID!]!) { bulkSuspendUsers(ids: $ids, reason: "audit") { succeeded } }', {
        ids: [user.id],
      })
    ).expectData();

    const link = (
      await t.admin.execute<{ exportUserData: { url: string; format: string } }>(EXPORT, { id: user.id })
    ).expectData().exportUserData;
    expect(link.format).toBe('JSON');
    const response = await fetch(link.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="user-${user.id}.json"`);
    const text = await response.text();
    expect(text).not.toMatch(/never-in-the-export|passwordHash|\$2[aby]\$/);
    const doc = JSON.parse(text) as Document;
    expect(doc.user).toMatchObject({
      id: user.id,
      email: user.email,
      name: 'Ada Lovelace',
      attributes: { plan: 'pro', seats: 3 },
      status: 'SUSPENDED',
    });
    // The suspension ended the session (USER_SESSIONS_REVOKED).
    expect(doc.events.map((e) => e.type)).toEqual([
      'USER_CREATED',
      'USER_UPDATED',
      'USER_SUSPENDED',
      'USER_BULK_ACTION',
      'USER_SESSIONS_REVOKED',
    ]);
    expect(doc.sessions.map((s) => s.id)).toEqual([session.sessionId]);
    expect(doc.sessions[0]!.revokedReason).not.toBeNull();
    expect(doc.loginHistory.map((l) => [l.kind, l.outcome, l.reason])).toEqual([
      ['LOGIN', 'SUCCESS', null],
      ['LOGIN', 'FAILURE', 'WRONG_PASSWORD'],
    ]);
    expect(text).not.toMatch(/tokenHash|token_hash/);
    expect(doc.events[0]!.payload).toMatchObject({ userId: user.id, email: user.email });
  });

  it('lists the events in sequence order when the sequence crosses a power of ten (numbers, not text)', async () => {
    const prisma = t.app.services.db.prisma;
    const [row] = await prisma.$queryRawUnsafe<{ last: string }[]>(
      'SELECT last_value::text AS last FROM user_events_sequence_seq',
    );
    // The next events are numbered 10^k - 1, 10^k, 10^k + 1: as text, '1000' sorts before '999'.
    await prisma.$executeRawUnsafe(`SELECT setval('user_events_sequence_seq', ${10n ** BigInt(row!.last.length + 1) - 2n})`);
    const user = await createUser(t.admin, { name: 'Order Check' });
    for (const seats of [1, 2, 3]) {
      (
        await t.admin.execute('mutation($id: ID!, $s: Int!) { patchUserAttributes(id: $id, patch: { seats: $s }) { id } }', {
          id: user.id,
          s: seats,
        })
      ).expectData();
    }
    const link = (await t.admin.execute<{ exportUserData: { url: string } }>(EXPORT, { id: user.id })).expectData()
      .exportUserData;
    const doc = (await (await fetch(link.url)).json()) as Document;
    const sequences = doc.events.map((e) => BigInt(e.sequence));
    expect(sequences).toHaveLength(4);
    expect(sequences).toEqual([...sequences].sort((a, b) => (a < b ? -1 : 1)));
  });

  it('serves an erased user too (with nothing personal left), refuses VIEWER and unknown ids', async () => {
    const user = await createUser(t.admin, { name: 'Grace Hopper' });
    (await t.admin.execute('mutation($id: ID!) { eraseUser(id: $id, reason: "request") { id } }', { id: user.id })).expectData();
    const link = (await t.admin.execute<{ exportUserData: { url: string } }>(EXPORT, { id: user.id })).expectData()
      .exportUserData;
    const text = await (await fetch(link.url)).text();
    expect(text).not.toContain('Grace Hopper');
    expect(text).not.toContain(user.email);
    expect((JSON.parse(text) as Document).user).toMatchObject({ status: 'ERASED' });

    const viewer = await clientFor(t.admin, 'VIEWER');
    (await viewer.client.execute(EXPORT, { id: user.id })).expectError('FORBIDDEN');
    (await t.admin.execute(EXPORT, { id: '00000000-0000-4000-8000-000000000000' })).expectError('USER_MANAGEMENT_USER_NOT_FOUND');
  });

  it('a tampered link is refused like an export link', async () => {
    const user = await createUser(t.admin);
    const link = (await t.admin.execute<{ exportUserData: { url: string } }>(EXPORT, { id: user.id })).expectData()
      .exportUserData;
    const response = await fetch(`${link.url.slice(0, -2)}xx`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      'EXPORT_LINK_INVALID',
    );
  });
});
