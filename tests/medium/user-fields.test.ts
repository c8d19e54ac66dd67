// Reads of some fields: user(id), me and the listing read what the operation selects. The
// repository then returns records holding exactly those fields and the id (and, for a page, the
// sort keys its cursors need), not all of them.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { RECORD_FIELDS } from '../../src/users/user.columns.js';
import { UsersRepository } from '../../src/users/user.repository.js';
import { openIsolatedTestDatabase } from '../testkit/app.js';

let db: Database;
let drop: (() => Promise<void>) | undefined;
const id = randomUUID();

beforeAll(async () => {
  ({ db, drop } = await openIsolatedTestDatabase());
  await db.prisma.$executeRaw`INSERT INTO users (id, email, name, last_name) VALUES (${id}::uuid, ${`fields.${id}@example.test`}, 'Ada Lovelace', 'Lovelace')`;
});
afterAll(async () => {
  await drop?.();
});

describe('reading some fields of a user', () => {
  it('findById returns the fields asked for and the id', async () => {
    const repository = UsersRepository.create(db.prisma);
    const user = await repository.findById(id, { fields: ['email', 'name'] });
    expect(user).toEqual({ id, email: `fields.${id}@example.test`, name: 'Ada Lovelace' });
    // Without fields: every record field of the column map (passwordHash is never one).
    expect(Object.keys((await repository.findById(id))!).sort()).toEqual([...RECORD_FIELDS].sort());
  });

  it('a page returns the fields asked for, the id and the sort keys', async () => {
    const repository = UsersRepository.create(db.prisma);
    const request = { filter: { ids: [id] }, order: [{ field: 'LAST_NAME' as const, direction: 'ASC' as const }], limit: 5, backward: false, from: undefined };
    const [row] = await repository.page(request, new Date(), ['email']);
    expect(row).toEqual({ id, email: `fields.${id}@example.test`, lastName: 'Lovelace' });
  });
});
