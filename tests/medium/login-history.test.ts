// The login history is kept LOGIN_HISTORY_DAYS and purged after that.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginHistoryRepository } from '../../src/auth/login-history.repository.js';
import { LoginHistoryService } from '../../src/auth/login-history.service.js';
import type { Database } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import { openIsolatedTestDatabase } from '../testkit/app.js';
import { uniqueEmail } from '../testkit/seed.js';

let db: Database;
let drop: () => Promise<void>;
beforeAll(async () => {
  ({ db, drop } = await openIsolatedTestDatabase());
});
afterAll(async () => {
  await drop?.();
});

describe('login history retention', () => {
  it('purge deletes attempts older than the kept days and keeps the rest', async () => {
    const now = new Date('2026-06-01T00:00:00Z');
    const repository = new LoginHistoryRepository(db.prisma);
    const history = new LoginHistoryService(repository, { now: () => now }, 90, createLogger('silent'));
    const email = uniqueEmail('retention');
    const at = (days: number) => new Date(now.getTime() - days * 86_400_000);
    for (const days of [91, 90.5, 89, 1]) {
      await repository.record({ kind: 'LOGIN', outcome: 'FAILURE', reason: 'UNKNOWN', email, userId: null, sessionId: null, ip: null, userAgent: null, occurredAt: at(days) });
    }
    expect(await history.purge()).toBe(2);
    const left = await repository.find({ email, limit: 10 });
    expect(left.map((a) => a.occurredAt.getTime()).sort()).toEqual([at(89).getTime(), at(1).getTime()].sort());
  });
});
