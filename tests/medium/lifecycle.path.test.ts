// One lifecycle path: deleteUser, restoreUser and updateUser(isActive) change a user's state through
// LifecycleService and its repository, stamped by the injected clock; an update that also changes
// isActive stays one transaction, one new version, and records UserUpdated then the state event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_PRINCIPAL } from '../../src/auth/principal.js';
import type { Principal } from '../../src/auth/principal.js';
import type { Clock } from '../../src/clock.js';
import type { Database } from '../../src/db/client.js';
import type { UserEvent } from '../../src/events/user-event.model.js';
import { createServices, type Services } from '../../src/services.js';
import { openIsolatedTestDatabase } from '../testkit/app.js';
import { uniqueEmail } from '../testkit/seed.js';

/** A clock the test sets: far from the wall clock, so a time that did not come from it shows. */
class TestClock implements Clock {
  constructor(public at: Date) {}
  now(): Date {
    return new Date(this.at);
  }
  advance(ms: number): Date {
    this.at = new Date(this.at.getTime() + ms);
    return this.now();
  }
}

let db: Database;
let drop: () => Promise<void>;
let services: Services;
const clock = new TestClock(new Date('2031-03-04T05:06:07.000Z'));

beforeAll(async () => {
  // A database of its own: one test adds a trigger to the users table.
  ({ db, drop } = await openIsolatedTestDatabase());
  services = createServices({
    db,
    clock,
    jwt: { secret: 'lifecycle-secret-lifecycle-secret-0123456789', issuer: 'test', audience: 'test', ttlSeconds: 60 },
    bcryptCost: 4,
  });
});
afterAll(async () => {
  await services?.stop();
  await drop?.();
});

async function newUser(): Promise<string> {
  return (await services.users.create(SYSTEM_PRINCIPAL, { email: uniqueEmail(), name: 'Before' })).id;
}

async function eventsOf(userId: string): Promise<UserEvent[]> {
  return (await services.events.log(SYSTEM_PRINCIPAL, { userId, first: 50 })).events;
}

describe('state changes take the injected clock', () => {
  it('deleteUser and restoreUser: deletedAt, updatedAt and the events are the clock’s time', async () => {
    const id = await newUser();
    const deletedAt = clock.advance(60_000);
    const deleted = await services.lifecycle.delete(SYSTEM_PRINCIPAL, id);
    expect(deleted).toMatchObject({ deletedAt, updatedAt: deletedAt, version: 2 });

    const restoredAt = clock.advance(60_000);
    const restored = await services.lifecycle.restore(SYSTEM_PRINCIPAL, id);
    expect(restored).toMatchObject({ deletedAt: null, deletedById: null, updatedAt: restoredAt, version: 3 });

    const events = await eventsOf(id);
    expect(events.map((e) => [e.type, e.occurredAt])).toEqual([
      ['USER_CREATED', expect.any(Date)],
      ['USER_DELETED', deletedAt],
      ['USER_RESTORED', restoredAt],
    ]);
  });

  it('updateUser with isActive and other fields: one new version at the clock’s time, UserUpdated then the state event', async () => {
    const id = await newUser();
    const at = clock.advance(60_000);
    const off = await services.users.update(SYSTEM_PRINCIPAL, id, { name: 'After', isActive: false }, 1);
    expect(off).toMatchObject({ name: 'After', isActive: false, version: 2, updatedAt: at });

    const later = clock.advance(60_000);
    const on = await services.users.update(SYSTEM_PRINCIPAL, id, { isActive: true });
    expect(on).toMatchObject({ isActive: true, version: 3, updatedAt: later });

    const events = (await eventsOf(id)).slice(1);
    expect(events.map((e) => e.type)).toEqual(['USER_UPDATED', 'USER_DEACTIVATED', 'USER_UPDATED', 'USER_ACTIVATED']);
    expect(events.map((e) => e.occurredAt)).toEqual([at, at, later, later]);
    // Each pair was written by one transaction: consecutive sequences.
    expect(events[1]!.sequence - events[0]!.sequence).toBe(1n);
    expect(events[0]!.payload).toEqual({
      userId: id,
      changes: [
        { field: 'name', from: 'Before', to: 'After' },
        { field: 'isActive', from: 'true', to: 'false' },
      ],
      passwordChanged: false,
      updatedBy: 'system',
    });
    expect(events[1]!.payload).toEqual({ userId: id, deactivatedBy: 'system' });
    expect(events[2]!.payload).toMatchObject({ changes: [{ field: 'isActive', from: 'false', to: 'true' }] });
  });

  it('updateUser(isActive: true) on an active user: a new version, no event (as activateUser records none)', async () => {
    const id = await newUser();
    const same = await services.users.update(SYSTEM_PRINCIPAL, id, { isActive: true });
    expect(same).toMatchObject({ isActive: true, version: 2 });
    expect((await eventsOf(id)).map((e) => e.type)).toEqual(['USER_CREATED']);
  });

  it('updateMe stamps the clock too', async () => {
    const id = await newUser();
    const me: Principal = { userId: id, roles: ['USER'], expiresAt: new Date(8.64e15) };
    const at = clock.advance(1_000);
    expect(await services.users.updateMe(me, { firstName: 'Own' })).toMatchObject({ firstName: 'Own', updatedAt: at });
  });
});

describe('updateUser(isActive) is one transaction with the rest of the update', () => {
  it('when the state change fails, the other fields stay as they were and nothing is recorded', async () => {
    const id = await newUser();
    const prisma = db.prisma;
    // Fails the lifecycle's write (is_active changes) after the update wrote the name.
    await prisma.$executeRawUnsafe(`
      CREATE FUNCTION reject_deactivation() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.id = '${id}' AND OLD.is_active AND NOT NEW.is_active THEN RAISE EXCEPTION 'poisoned deactivation'; END IF;
        RETURN NEW;
      END $$`);
    await prisma.$executeRawUnsafe(
      'CREATE TRIGGER reject_deactivation BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION reject_deactivation()',
    );
    try {
      await expect(services.users.update(SYSTEM_PRINCIPAL, id, { name: 'Half', isActive: false })).rejects.toThrow(
        /poisoned deactivation/,
      );
    } finally {
      await prisma.$executeRawUnsafe('DROP TRIGGER reject_deactivation ON users');
      await prisma.$executeRawUnsafe('DROP FUNCTION reject_deactivation()');
    }
    expect(await services.usersRepository.findById(id)).toMatchObject({ name: 'Before', isActive: true, version: 1 });
    expect((await eventsOf(id)).map((e) => e.type)).toEqual(['USER_CREATED']);
  });
});

describe('the "not yourself" rules are one table, whichever mutation asks', () => {
  it('deactivating yourself is refused alike by deactivateUser, bulkDeactivateUsers and updateUser; so are demoting and deleting yourself', async () => {
    const id = (await services.users.create(SYSTEM_PRINCIPAL, { email: uniqueEmail(), role: 'ADMIN' })).id;
    const self: Principal = { userId: id, roles: ['ADMIN'], expiresAt: new Date(8.64e15) };
    const refusal = { code: 'FORBIDDEN', message: 'You cannot deactivate yourself' };
    await expect(services.lifecycle.deactivate(self, id)).rejects.toMatchObject(refusal);
    await expect(services.users.update(self, id, { isActive: false })).rejects.toMatchObject(refusal);
    expect((await services.lifecycle.bulkDeactivate(self, [id.toUpperCase()])).failed).toEqual([{ id, ...refusal }]);
    await expect(services.users.update(self, id, { role: 'VIEWER' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'You cannot demote yourself',
    });
    await expect(services.lifecycle.delete(self, id)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'You cannot delete yourself',
    });
    // Nothing happened to them.
    expect(await services.usersRepository.findById(id)).toMatchObject({ isActive: true, role: 'ADMIN', version: 1 });
  });
});
