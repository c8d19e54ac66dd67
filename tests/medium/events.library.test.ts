// The domain used as a library, without GraphQL: createServices + onUserEvent. Also shows that an
// event committed just before a crash (never published) is delivered after the restart.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SYSTEM_PRINCIPAL } from '../../src/auth/principal.js';
import type { Database } from '../../src/db/client.js';
import type { UserEvent } from '../../src/events/user-event.model.js';
import { createServices, type Services } from '../../src/services.js';
import { openTestDatabase } from '../testkit/app.js';
import { uniqueEmail } from '../testkit/seed.js';
import { eventually } from '../testkit/subscriptions.js';

let db: Database;
const running: Services[] = [];

beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  for (const s of running) await s.stop();
  await db?.close();
});

/** `relayName`: its own saved position, so relays of other test files sharing the database cannot move it. */
function services(pollMs: number, relayName = 'default'): Services {
  const s = createServices({
    db,
    jwt: { secret: 'library-secret-library-secret-0123456789', issuer: 'test', audience: 'test', ttlSeconds: 60 },
    bcryptCost: 4,
    relay: { pollMs, name: relayName },
  });
  running.push(s);
  return s;
}

it('createServices + onUserEvent: handlers get typed events for changes made through the services', async () => {
  const s = services(1_000);
  const seen: UserEvent[] = [];
  const off = s.events.onUserEvent('USER_SUSPENDED', (event) => {
    seen.push(event);
  });
  await s.start();
  const user = await s.users.create(SYSTEM_PRINCIPAL, { email: uniqueEmail('lib') });
  await s.lifecycle.suspend(SYSTEM_PRINCIPAL, user.id, 'library test');
  await eventually(() => seen.some((e) => e.userId === user.id), 5_000, 'the handler');
  const event = seen.find((e) => e.userId === user.id);
  expect(event?.type === 'USER_SUSPENDED' && event.payload).toEqual({ userId: user.id, reason: 'library test', until: null, suspendedBy: 'system' });
  off();
});

it('an event committed just before a crash, never published, is delivered after the restart', async () => {
  // "Before the crash": a relay that would not poll again for a minute.
  const relayName = `crash-test-${Date.now()}`;
  const before = services(60_000, relayName);
  const beforeSeen: string[] = [];
  before.events.onUserEvent('*', (e) => void beforeSeen.push(e.id));
  await before.start();
  const user = await before.users.create(SYSTEM_PRINCIPAL, { email: uniqueEmail('crash') });
  await eventually(() => before.events.position > 0n, 5_000, 'the create to be relayed');
  // Committed, then the process "dies" before reporting the commit to its relay.
  const [lost] = await db.prisma.$transaction((tx) =>
    before.events.record(tx, { type: 'USER_DEACTIVATED', actor: 'system', payload: { userId: user.id } }),
  );
  await new Promise((r) => setTimeout(r, 200));
  expect(beforeSeen).not.toContain(lost!.id);

  // "After the restart": a new process with its handler registered before start().
  const after = services(60_000, relayName);
  const afterSeen: UserEvent[] = [];
  after.events.onUserEvent('*', (e) => void afterSeen.push(e));
  await after.start();
  await eventually(() => afterSeen.some((e) => e.id === lost!.id), 5_000, 'the lost event');
  expect(afterSeen.filter((e) => e.id === lost!.id)).toHaveLength(1);
  expect(afterSeen.find((e) => e.id === lost!.id)?.type).toBe('USER_DEACTIVATED');
});
