// Which adapter statements run as named prepared statements on PostgreSQL (src/db/client.ts).
import { describe, expect, it } from 'vitest';
import { PREPARED_STATEMENTS, preparedStatementNames } from '../../src/db/client.js';

describe('prepared statement names', () => {
  it('names reads, the same text the same name, and leaves transaction control and writes unnamed', () => {
    const name = preparedStatementNames();
    const read = name({ sql: 'SELECT u.id FROM users u WHERE u.id = $1' });
    expect(read).toMatch(/^users_service_\d+$/);
    expect(name({ sql: 'SELECT u.id FROM users u WHERE u.id = $1' })).toBe(read);
    expect(name({ sql: ' WITH x AS (SELECT 1) SELECT * FROM x' })).not.toBe(read);
    for (const sql of ['BEGIN', 'COMMIT', 'INSERT INTO users (id) VALUES ($1)', 'WITH d AS (DELETE FROM users RETURNING id) SELECT id FROM d', 'UPDATE users SET version = version + 1', 'SET LOCAL statement_timeout = 1000']) {
      expect(name({ sql }), sql).toBe('');
    }
  });

  it('names at most PREPARED_STATEMENTS texts: later ones run unnamed, earlier ones keep their names', () => {
    const name = preparedStatementNames();
    const first = name({ sql: 'SELECT 0' });
    for (let i = 1; i < PREPARED_STATEMENTS; i += 1) expect(name({ sql: `SELECT ${i}` })).not.toBe('');
    expect(name({ sql: `SELECT ${PREPARED_STATEMENTS}` })).toBe('');
    expect(name({ sql: 'SELECT 0' })).toBe(first);
  });
});
