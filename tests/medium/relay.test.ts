// The outbox relay on a real database, without HTTP: events written by someone else (another
// instance, or a process that died between commit and publish) reach this process's bus in
// sequence order, each once, whether they arrive by the poll or by a report that skips ahead.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { LocalEventBus } from '../../src/events/event.bus.js';
import { OutboxRelay } from '../../src/events/outbox.relay.js';
import { InProcessTransport } from '../../src/events/event.transport.js';
import type { NewUserEvent, UserEvent } from '../../src/events/user-event.model.js';
import { EventRecorder } from '../../src/events/user-event.repository.js';
import { createLogger } from '../../src/logger.js';
import { openTestDatabase } from '../testkit/app.js';
import { eventually } from '../testkit/subscriptions.js';

let db: Database;
let recorder: EventRecorder;
const relays: OutboxRelay[] = [];
const log = createLogger('silent');

beforeAll(async () => {
  db = await openTestDatabase();
  recorder = new EventRecorder(db.prisma);
});
afterAll(async () => {
  for (const relay of relays) await relay.stop();
  await db?.close();
});

/** A relay with a position of its own, and what its bus delivered about `users`. */
async function relay(pollMs: number, users: Set<string>): Promise<{ relay: OutboxRelay; seen: UserEvent[] }> {
  const bus = new LocalEventBus(log);
  const seen: UserEvent[] = [];
  bus.on('*', (e) => {
    if (e.userId && users.has(e.userId)) seen.push(e);
  });
  const r = new OutboxRelay(recorder, bus, new InProcessTransport(), log, { pollMs, batchSize: 500, name: `medium-${randomUUID()}` });
  relays.push(r);
  await r.start();
  return { relay: r, seen };
}

/** Commits events in their own transaction, reporting them to nobody (as another instance would). */
function commitElsewhere(events: NewUserEvent[]): Promise<UserEvent[]> {
  return db.prisma.$transaction((tx) => recorder.record(tx, events));
}

const deactivated = (userId: string): NewUserEvent => ({ type: 'USER_DEACTIVATED', actor: 'system', payload: { userId } });

it('delivers events committed elsewhere by its poll, in sequence order, each once', async () => {
  const users = new Set([randomUUID(), randomUUID(), randomUUID()]);
  const { seen } = await relay(50, users);
  const written: UserEvent[] = [];
  for (const userId of users) written.push(...(await commitElsewhere([deactivated(userId), deactivated(userId)])));
  await eventually(() => seen.length >= written.length, 5_000, 'the poll');
  await new Promise((r) => setTimeout(r, 200)); // a few more polls: nothing arrives twice
  expect(seen.map((e) => e.id)).toEqual(written.map((e) => e.id));
  expect(seen.map((e) => e.sequence)).toEqual([...seen.map((e) => e.sequence)].sort((a, b) => (a < b ? -1 : 1)));
});

it('a report that skips ahead first fills the gap from the table, then delivers, never twice', async () => {
  const users = new Set([randomUUID()]);
  const [userId] = users;
  const { relay: r, seen } = await relay(60_000, users); // no poll during the test
  const missed = await commitElsewhere([deactivated(userId!), deactivated(userId!)]);
  const reported = await commitElsewhere([deactivated(userId!)]);
  r.committed(reported);
  await eventually(() => seen.length >= 3, 5_000, 'the gap to be filled');
  r.committed([...missed, ...reported]); // late duplicates
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(seen.map((e) => e.id)).toEqual([...missed, ...reported].map((e) => e.id));
});
