import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadMigrationConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('gives the documented defaults on an empty environment', () => {
    const config = loadConfig({});
    expect(config.port).toBe(4000);
    expect(config.database.url).toBeUndefined();
    expect(config.database.dataDir).toBe('./data');
    expect(config.database.migrateOnStart).toBe(true);
    expect(config.auth.bcryptCost).toBe(12);
    expect(config.auth.accessTokenTtlSeconds).toBe(900);
    expect(config.auth.refreshTokenTtlSeconds).toBe(30 * 86_400);
    expect(config.introspection).toBe(true);
    expect(config.limits.uploadMaxBytes).toBe(100 * 1024 * 1024);
    expect(config.deletedUserRetentionDays).toBeUndefined();
  });

  it('reads DELETED_USER_RETENTION_DAYS as whole days, 0 included', () => {
    expect(loadConfig({ DELETED_USER_RETENTION_DAYS: '0' }).deletedUserRetentionDays).toBe(0);
    expect(loadConfig({ DELETED_USER_RETENTION_DAYS: '30' }).deletedUserRetentionDays).toBe(30);
    for (const bad of ['-1', '1.5', 'forever']) expect(() => loadConfig({ DELETED_USER_RETENTION_DAYS: bad })).toThrow(/DELETED_USER_RETENTION_DAYS/);
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', BCRYPT_COST: '40', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x/y', ACCESS_TOKEN_TTL: 'soon' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const names = (error as ConfigError).problems.map((p) => p.split(':')[0]);
    expect(names.sort()).toEqual(['ACCESS_TOKEN_TTL', 'BCRYPT_COST', 'DATABASE_URL', 'LOG_LEVEL', 'PORT']);
  });

  it('requires JWT_SECRET with DATABASE_URL', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://localhost/db' })).toThrow(/JWT_SECRET/);
    expect(loadConfig({ DATABASE_URL: 'postgres://localhost/db', JWT_SECRET: 'x'.repeat(32) }).database.url).toBe('postgres://localhost/db');
  });

  it('lets tools that sign no token (migrations) go without JWT_SECRET, and still checks the rest', () => {
    expect(loadMigrationConfig({ DATABASE_URL: 'postgres://localhost/db' }).database.url).toBe('postgres://localhost/db');
    expect(() => loadMigrationConfig({ DATABASE_URL: 'postgres://localhost/db', DATABASE_POOL_SIZE: '0' })).toThrow(/DATABASE_POOL_SIZE/);
  });

  it('chooses the tuning for the database once: PostgreSQL, embedded, with or without Redis', () => {
    const postgres = { DATABASE_URL: 'postgres://localhost/db', JWT_SECRET: 'x'.repeat(32) };
    const onPostgres = loadConfig(postgres).tuning;
    expect(onPostgres.relay.pollMs).toBe(1_000);
    expect(onPostgres.import.writers).toBe(2);
    expect(onPostgres.export).toEqual({ renderers: 2, batchRows: 10_000 });
    // With Redis, other instances' events arrive through it: the poll is a safety net.
    expect(loadConfig({ ...postgres, REDIS_URL: 'redis://localhost:6379' }).tuning.relay.pollMs).toBe(5_000);
    expect(loadConfig({ ...postgres, IMPORT_WRITERS: '4' }).tuning.import.writers).toBe(4);

    // The embedded database has one connection: one writer, one renderer, whatever IMPORT_WRITERS says.
    const embedded = loadConfig({ IMPORT_WRITERS: '4' }).tuning;
    expect(embedded.relay.pollMs).toBe(5_000);
    expect(embedded.import.writers).toBe(1);
    expect(embedded.export).toEqual({ renderers: 1, batchRows: 5_000 });
    expect(embedded.import.chunkRows).toBe(onPostgres.import.chunkRows);
  });

  it('reads CORS_ORIGINS as exact origins, and allows localhost by default only outside production', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, http://b.example:8080' }).cors).toEqual({
      origins: ['https://a.example', 'http://b.example:8080'],
      allowLocalhost: true,
    });
    expect(loadConfig({ NODE_ENV: 'production' }).cors).toEqual({ origins: [], allowLocalhost: false });
    expect(() => loadConfig({ CORS_ORIGINS: 'https://a.example/app' })).toThrow(/CORS_ORIGINS/);
    expect(() => loadConfig({ CORS_ORIGINS: 'a.example' })).toThrow(/CORS_ORIGINS/);
  });

  it('reads TRUST_PROXY as Express does: a flag, a hop count or addresses', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toEqual(['loopback', '10.0.0.0/8']);
    expect(() => loadConfig({ TRUST_PROXY: 'everyone' })).toThrow(/TRUST_PROXY/);
  });

  it('wants ADMIN_EMAIL and ADMIN_PASSWORD together', () => {
    expect(() => loadConfig({ ADMIN_EMAIL: 'a@b.test' })).toThrow(/ADMIN_PASSWORD/);
  });

  it('parses durations and booleans', () => {
    const config = loadConfig({ ACCESS_TOKEN_TTL: '15m', MIGRATE_ON_START: 'false', INTROSPECTION: '0' });
    expect(config.auth.accessTokenTtlSeconds).toBe(900);
    expect(config.database.migrateOnStart).toBe(false);
    expect(config.introspection).toBe(false);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).port).toBe(4000);
  });
});
