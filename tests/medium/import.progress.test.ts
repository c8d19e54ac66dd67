// Import progress travels as a notice on the events transport (src/events/event.transport.ts), not as
// an event: two "instances" (two sets of services on one database and one Redis) see the import
// one of them runs, chunk by chunk, while user_events gets only the import's UserBulkAction per
// chunk. Without Redis and without start() (the operator CLI), progress stays in process.
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_PRINCIPAL } from '../../src/auth/principal.js';
import type { Database } from '../../src/db/client.js';
import { RedisTransport } from '../../src/events/event.transport.js';
import type { UserEvent } from '../../src/events/user-event.model.js';
import type { ImportRecord } from '../../src/users/import/import.model.js';
import { IMPORT_PROGRESS } from '../../src/users/import/import.progress.js';
import { createServices, type Services } from '../../src/services.js';
import { openIsolatedTestDatabase } from '../testkit/app.js';
import { uniqueEmail } from '../testkit/seed.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CHUNK = 5_000; // config tuning.import.chunkRows

let db: Database;
let drop: () => Promise<void>;
const running: Services[] = [];

beforeAll(async () => {
  ({ db, drop } = await openIsolatedTestDatabase());
});
afterAll(async () => {
  for (const s of running) await s.stop();
  await drop?.();
});

function services(redisUrl?: string): Services {
  const s = createServices({
    db,
    jwt: { secret: 'progress-secret-progress-secret-0123456789', issuer: 'test', audience: 'test', ttlSeconds: 60 },
    bcryptCost: 4,
    ...(redisUrl ? { redisUrl } : {}),
  });
  running.push(s);
  return s;
}

/** `rows` new emails as CSV lines (no header). */
function csvRows(rows: number): string {
  const tag = uniqueEmail('progress').split('@')[0]!;
  return Array.from({ length: rows }, (_, i) => `${tag}.${i}@example.test\n`).join('');
}

async function collect(progress: AsyncIterator<ImportRecord>): Promise<ImportRecord[]> {
  const states: ImportRecord[] = [];
  for (let step = await progress.next(); !step.done; step = await progress.next()) states.push(step.value);
  return states;
}

async function lastSequence(): Promise<bigint> {
  const last = await db.prisma.userEvent.findFirst({ orderBy: { sequence: 'desc' }, select: { sequence: true } });
  return last?.sequence ?? 0n;
}

describe('import progress on the events transport', () => {
  it('reaches the other instance chunk by chunk through Redis, and only UserBulkAction events are stored', async () => {
    const [a, b] = [services(REDIS_URL), services(REDIS_URL)];
    await a.start();
    await b.start();
    const handled: UserEvent[] = [];
    b.events.onUserEvent('*', (e) => void handled.push(e));
    const before = await lastSequence();

    // A runs the import; its rows arrive only once B is listening.
    const file = new PassThrough();
    file.write('email\n');
    const started = await a.imports.start(SYSTEM_PRINCIPAL, { filename: 'progress.csv', stream: file }, { wait: false });
    const progress = b.imports.progress(SYSTEM_PRINCIPAL, started.id);
    const first = await progress.next(); // B read the current state from the database
    expect(first.value).toMatchObject({ id: started.id, status: 'RUNNING', processedRows: 0 });
    file.end(csvRows(2 * CHUNK + 10));
    const later = await collect(progress);

    // Everything after the first state came from A through Redis: B runs no import.
    expect(later.some((r) => r.status === 'RUNNING' && r.processedRows > 0)).toBe(true);
    const last = later[later.length - 1]!;
    expect(last).toMatchObject({ status: 'SUCCEEDED', created: 2 * CHUNK + 10, processedRows: 2 * CHUNK + 10 });
    expect(last.startedAt).toBeInstanceOf(Date);
    expect(last.finishedAt).toBeInstanceOf(Date);
    // Counters only grow: no state arrives twice or out of order.
    const processed = later.map((r) => r.processedRows);
    expect(processed).toEqual([...processed].sort((x, y) => x - y));
    expect(new Set(later.map((r) => `${r.status} ${r.processedRows}`)).size).toBe(later.length);

    // The log got one UserBulkAction (IMPORT) per chunk, and nothing for progress.
    const log = await b.events.log(SYSTEM_PRINCIPAL, { after: before.toString(), first: 50 });
    expect(log.events.map((e) => e.type === 'USER_BULK_ACTION' && e.payload.action)).toEqual(['IMPORT', 'IMPORT', 'IMPORT']);
    await expect.poll(() => handled.length, { timeout: 5_000 }).toBe(3);
    await new Promise((r) => setTimeout(r, 200));
    expect(handled.map((e) => e.type)).toEqual(['USER_BULK_ACTION', 'USER_BULK_ACTION', 'USER_BULK_ACTION']);
  });

  it('the instance that publishes hears itself once, and a notice that does not parse is skipped', async () => {
    const [a, b] = [services(REDIS_URL), services(REDIS_URL)];
    await a.start();
    await b.start();
    const key = randomUUID();
    const onA = a.events.notices(IMPORT_PROGRESS, key);
    const onB = b.events.notices(IMPORT_PROGRESS, key);
    const record: ImportRecord = {
      id: key,
      status: 'RUNNING',
      filename: 'x.csv',
      mode: 'INSERT',
      dryRun: false,
      totalRows: 10,
      processedRows: 5,
      created: 5,
      updated: 0,
      skipped: 0,
      failed: 0,
      errorCount: 0,
      lastCommittedRow: 6,
      failure: null,
      startedById: null,
      startedAt: new Date('2030-01-01T00:00:00.000Z'),
      finishedAt: null,
    };
    // Garbage on the notices channel first (as another version of the service might send).
    const { streamId } = await db.prisma.userEventRelay.findUniqueOrThrow({ where: { name: 'default' } });
    const raw = new Redis(REDIS_URL);
    try {
      await raw.publish(
        RedisTransport.noticesChannelFor(streamId),
        JSON.stringify({ origin: 'elsewhere', topic: IMPORT_PROGRESS.name, key, body: { id: key } }),
      );
    } finally {
      await raw.quit();
    }
    a.events.notify(IMPORT_PROGRESS, key, record);
    const [fromA, fromB] = await Promise.all([onA.next(), onB.next()]);
    expect(fromA.value).toEqual(record);
    expect(fromB.value).toEqual(record);
    // Nothing else arrives: not the garbage, not A's own notice echoed back by Redis.
    const more = await Promise.race([onA.next().then(() => 'more'), new Promise((r) => setTimeout(() => r('none'), 500))]);
    expect(more).toBe('none');
    await Promise.all([onA.return?.(), onB.return?.()]);
  });

  it('without Redis and without start() (the operator CLI), progress reaches a listener in the same process', async () => {
    const cli = services();
    const file = new PassThrough();
    file.write('email\n');
    const started = await cli.imports.start(SYSTEM_PRINCIPAL, { filename: 'cli.csv', stream: file }, { wait: false });
    const progress = cli.imports.progress(SYSTEM_PRINCIPAL, started.id);
    expect((await progress.next()).value).toMatchObject({ status: 'RUNNING', processedRows: 0 });
    file.end(csvRows(CHUNK + 1));
    const later = await collect(progress);
    expect(later.some((r) => r.status === 'RUNNING' && r.processedRows === CHUNK)).toBe(true);
    expect(later[later.length - 1]).toMatchObject({ status: 'SUCCEEDED', created: CHUNK + 1 });
  });
});
