// `node dist/src/db/migrate.cli.js deploy | status | new <name>`
//
// The database comes from the configuration, like everything else: DATABASE_URL (PostgreSQL) or
// DATA_DIR (PGlite, default ./data), read by loadConfig. Migrating signs no token, so JWT_SECRET
// is not required here. Exits explicitly: whatever a driver leaves scheduled must not hold a
// deploy step in CI or a container entrypoint.
import { loadMigrationConfig, type Config } from '../config.js';
import { applyMigrations, createMigrationSql, migrationStatus, type MigrationStatus } from './migrate.js';
import { openDatabase, type Database } from './client.js';

const USAGE = 'usage: migrate.cli.js deploy | status | new <name>';

async function main(argv: string[]): Promise<number> {
  const [command = '', ...rest] = argv;
  switch (command) {
    case 'deploy':
      return withDatabase(deploy);
    case 'status':
      return withDatabase(status);
    case 'new':
      return newMigration(rest.join(' '));
    default:
      console.error(USAGE);
      return 2;
  }
}

async function withDatabase(run: (db: Database) => Promise<number>): Promise<number> {
  const { database } = config();
  const db = await openDatabase({ url: database.url, dataDir: database.dataDir, poolSize: database.poolSize });
  console.log(`database: ${db.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${database.dataDir}`}`);
  try {
    return await run(db);
  } finally {
    await db.close();
  }
}

async function deploy(db: Database): Promise<number> {
  const { applied } = await applyMigrations(db);
  if (applied.length === 0) console.log('No pending migrations.');
  else console.log(`Applied ${applied.length} migration(s):\n${applied.map((name) => `  ${name}`).join('\n')}`);
  return 0;
}

/** Exit 1 unless up to date, so CI can gate on it. */
async function status(db: Database): Promise<number> {
  const s = await migrationStatus(db);
  console.log(formatStatus(s));
  return s.upToDate ? 0 : 1;
}

function formatStatus(s: MigrationStatus): string {
  const lines = [`${s.local.length} migration(s) in ${s.migrationsDir}, ${s.applied.length} applied.`];
  const list = (label: string, names: string[]): void => {
    if (names.length > 0) lines.push(`${label}:`, ...names.map((name) => `  ${name}`));
  };
  list('Pending (run deploy)', s.pending);
  list('Failed (fix by hand, then resolve)', s.failed);
  list('Edited after being applied', s.edited);
  list('In the database but not in the folder', s.missingLocally);
  if (s.upToDate) lines.push('Database schema is up to date.');
  return lines.join('\n');
}

async function newMigration(name: string): Promise<number> {
  if (!name.trim()) {
    console.error(USAGE);
    return 2;
  }
  const created = await createMigrationSql({ name });
  if (!created) {
    console.log('No schema changes: nothing to do.');
    return 0;
  }
  console.log(`Created ${created.dir}/migration.sql\n\n${created.sql}`);
  return 0;
}

let loaded: Config | undefined;

/** Read once, when a command needs the database (`new` does not: it diffs in memory). */
function config(): Config {
  loaded ??= loadMigrationConfig();
  return loaded;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Engine errors carry a WebAssembly stack that says nothing to a user: stacks on request only
    // (LOG_LEVEL=debug or trace). A bad environment prints ConfigError's list of problems.
    const level = loaded?.logLevel;
    const verbose = level === 'debug' || level === 'trace';
    console.error(error instanceof Error ? (verbose ? (error.stack ?? error.message) : error.message) : error);
    process.exit(1);
  },
);
