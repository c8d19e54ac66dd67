// PostgreSQL: the adapter's reads run as named prepared statements unless
// DATABASE_PREPARED_STATEMENTS=false (src/db/client.ts). One pooled connection, so the statement
// and pg_prepared_statements (which shows only its own session's) meet on it.
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { databaseUrl } from '../testkit/app.js';

async function preparedAfterARead(preparedStatements: boolean): Promise<{ name: string; statement: string }[]> {
  const db = await openDatabase({ url: databaseUrl()!, dataDir: 'unused', poolSize: 1, preparedStatements });
  try {
    await db.prisma.$queryRaw`SELECT count(*)::int AS n FROM users WHERE role = 'ADMIN'::"Role"`;
    return await db.prisma.$queryRaw<{ name: string; statement: string }[]>`SELECT name, statement FROM pg_prepared_statements ORDER BY name`;
  } finally {
    await db.close();
  }
}

describe.skipIf(!databaseUrl())('prepared statements (PostgreSQL)', () => {
  it('prepares a read once per connection by default', async () => {
    const prepared = await preparedAfterARead(true);
    expect(prepared.map((p) => p.statement)).toContain(`SELECT count(*)::int AS n FROM users WHERE role = 'ADMIN'::"Role"`);
    expect(prepared.every((p) => p.name.startsWith('users_service_'))).toBe(true);
  });

  it('prepares nothing with DATABASE_PREPARED_STATEMENTS=false', async () => {
    expect(await preparedAfterARead(false)).toEqual([]);
  });
});
