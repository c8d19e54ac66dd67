// Operator CLI for bulk moves, against the configured database (DATABASE_URL, or the embedded
// one in DATA_DIR, which a running server locks: the CLI then refuses, naming it) with the same
// ImportService and ExportService as the GraphQL API, as the system principal; or, with
// --server, through a running server's API (server.client.ts).
//
//   npm run users -- import users.csv [--mode insert|upsert|skip-existing] [--dry-run]
//   npm run users -- export --format csv|json|ndjson [--out file] [--fields email,name,...] [--bom] [--bom]
//
// Progress goes to stderr (a bar on a terminal), the export file to --out or stdout. Exit codes:
// 0 done, 1 the import failed or was cancelled, 2 usage, 3 done with row errors.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { SYSTEM_PRINCIPAL } from '../auth/principal.js';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { openDatabase, type Database } from '../db/client.js';
import { applyMigrations } from '../db/migrate.js';
import { createLogger } from '../logger.js';
import { createServices, type Services } from '../services.js';
import { EXPORT_FORMATS, FIELD_KEYS, USER_FIELDS, type ExportFormat, type UserField } from '../users/export/export.model.js';
import { isFinished, type ImportMode, type ImportRecord } from '../users/import/import.model.js';
import { countCsvRows } from './csv.rows.js';
import { ImportProgressBar } from './progress.bar.js';
import { ServerClient, ServerError } from './server.client.js';

const USAGE = `usage:
  npm run users -- import <file.csv> [--mode insert|upsert|skip-existing] [--dry-run] [server options]
  npm run users -- export --format csv|json|ndjson [--out file] [--fields email,name,...] [--bom] [server options]
server options (through a running server's API instead of the database; required while a server
holds the embedded database, and for a remote deployment):
  --server <url> (--token <access token> | --email <admin email> --password <password>)
`;

class UsageError extends Error {}

const SERVER_OPTIONS = {
  server: { type: 'string' },
  token: { type: 'string' },
  email: { type: 'string' },
  password: { type: 'string' },
} as const;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'import' && command !== 'export') throw new UsageError(command ? `unknown command "${command}"` : 'missing command');
  if (rest.some((a) => a === '--server' || a.startsWith('--server='))) {
    return command === 'import' ? importThroughServer(rest) : exportThroughServer(rest);
  }
  const config = loadConfig();
  // Opening (and on first use creating) the database takes seconds: say so rather than sit silent.
  process.stderr.write(config.database.url ? 'connecting to PostgreSQL…\n' : `opening the embedded database in ${config.database.dataDir}…\n`);
  const db = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir, poolSize: config.database.poolSize, preparedStatements: config.database.preparedStatements });
  try {
    if (config.database.migrateOnStart) await applyMigrations(db);
    const services = servicesFor(config, db);
    try {
      return command === 'import' ? await importCommand(services, rest) : await exportCommand(services, rest);
    } finally {
      await services.imports.close();
    }
  } finally {
    await db.close();
  }
}

function servicesFor(config: Config, db: Database): Services {
  return createServices({
    db,
    // Only export links are signed with it, and the CLI streams instead of linking.
    jwt: {
      secret: config.auth.jwtSecret ?? randomBytes(32).toString('base64url'),
      issuer: config.auth.issuer,
      audience: config.auth.audience,
      ttlSeconds: config.auth.accessTokenTtlSeconds,
    },
    bcryptCost: config.auth.bcryptCost,
    limits: config.limits,
    tuning: config.tuning,
    // Logs would mix into an export written to stdout; the CLI reports for itself.
    log: createLogger('silent'),
  });
}

function importArgs(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { mode: { type: 'string', default: 'insert' }, 'dry-run': { type: 'boolean', default: false }, ...SERVER_OPTIONS },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UsageError('import takes one CSV file');
  const mode = values.mode.toUpperCase().replace(/-/g, '_') as ImportMode;
  if (!['INSERT', 'UPSERT', 'SKIP_EXISTING'].includes(mode)) throw new UsageError(`--mode must be insert, upsert or skip-existing, not "${values.mode}"`);
  return { file, mode, dryRun: values['dry-run'], values };
}

/** What the summary needs of an import, local (ImportRecord) or remote (the API's UserImport). */
type ImportSummary = Pick<
  ImportRecord,
  'id' | 'status' | 'filename' | 'dryRun' | 'totalRows' | 'processedRows' | 'created' | 'updated' | 'skipped' | 'failed' | 'errorCount' | 'lastCommittedRow'
> & { failure: { code: string; message: string } | null };

async function importCommand(services: Services, argv: string[]): Promise<number> {
  const { file, mode, dryRun } = importArgs(argv);
  const bar = new ImportProgressBar(await countCsvRows(file));
  const stream = createReadStream(file, { highWaterMark: 256 * 1024 });
  const started = performance.now();
  const running = await services.imports.start(SYSTEM_PRINCIPAL, { filename: basename(file), stream }, { mode, dryRun, wait: false });
  const onSignal = () => {
    process.stderr.write('\ncancelling after the current chunk…\n');
    void services.imports.cancel(SYSTEM_PRINCIPAL, running.id);
  };
  process.once('SIGINT', onSignal);
  let final: ImportRecord = running;
  try {
    // One record per committed chunk: the bar moves with the commits.
    for await (const record of services.imports.progress(SYSTEM_PRINCIPAL, running.id)) {
      final = record;
      bar.update(record);
      if (isFinished(record)) break;
    }
  } finally {
    process.off('SIGINT', onSignal);
    bar.done();
  }
  return summarize(final, started, (n) => services.imports.errors(SYSTEM_PRINCIPAL, final.id, n));
}

/** How often the CLI asks a server how its import is doing. */
const REMOTE_POLL_MS = 500;

async function importThroughServer(argv: string[]): Promise<number> {
  const { file, mode, dryRun, values } = importArgs(argv);
  const client = await connect(values);
  const bar = new ImportProgressBar(await countCsvRows(file));
  const started = performance.now();
  let final: ImportSummary = await client.startImport(file, { mode, dryRun });
  const onSignal = () => {
    process.stderr.write('\ncancelling after the current chunk…\n');
    void client.cancelImport(final.id);
  };
  process.once('SIGINT', onSignal);
  try {
    bar.update(final);
    while (!isFinished(final)) {
      await new Promise((r) => setTimeout(r, REMOTE_POLL_MS));
      final = await client.importStatus(final.id);
      bar.update(final);
    }
  } finally {
    process.off('SIGINT', onSignal);
    bar.done();
  }
  return summarize(final, started, (n) => client.rowErrors(final.id, n));
}

async function summarize(
  final: ImportSummary,
  started: number,
  firstErrors: (n: number) => Promise<{ row: number; email: string | null; field: string; code: string; message: string }[]>,
): Promise<number> {
  const seconds = (performance.now() - started) / 1000;
  const lines = [
    `${final.dryRun ? 'Dry run' : 'Import'} of ${final.filename}: ${final.status} in ${seconds.toFixed(1)} s (${Math.round(final.processedRows / seconds).toLocaleString('en')} rows/s)`,
    `  rows ${final.totalRows.toLocaleString('en')}, created ${final.created.toLocaleString('en')}, updated ${final.updated.toLocaleString('en')}, skipped ${final.skipped.toLocaleString('en')}, failed ${final.failed.toLocaleString('en')}`,
  ];
  if (final.failure) lines.push(`  ${final.failure.code}: ${final.failure.message}`);
  if (final.status !== 'SUCCEEDED') lines.push(`  committed: every row up to row ${final.lastCommittedRow} without an error; nothing after it`);
  if (final.errorCount > 0) {
    const errors = await firstErrors(20);
    lines.push(`  first row errors (${final.errorCount.toLocaleString('en')} in all; import id ${final.id}):`);
    for (const e of errors) lines.push(`    row ${e.row}${e.email ? ` (${e.email})` : ''} ${e.field}: ${e.message} [${e.code}]`);
  }
  process.stderr.write(`${lines.join('\n')}\n`);
  if (final.status !== 'SUCCEEDED') return 1;
  return final.failed > 0 ? 3 : 0;
}

function connect(values: { server?: string | undefined; token?: string | undefined; email?: string | undefined; password?: string | undefined }): Promise<ServerClient> {
  if (!values.server) throw new UsageError('--server needs a URL');
  if (!values.token && !(values.email && values.password)) throw new UsageError('--server needs --token, or --email and --password');
  return ServerClient.connect(values.server, values);
}

function exportArgs(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: { format: { type: 'string', default: 'csv' }, out: { type: 'string' }, fields: { type: 'string' }, bom: { type: 'boolean', default: false }, ...SERVER_OPTIONS },
  });
  const format = values.format.toUpperCase() as ExportFormat;
  if (!EXPORT_FORMATS.includes(format)) throw new UsageError(`--format must be csv, json or ndjson, not "${values.format}"`);
  const fields = values.fields ? values.fields.split(',').map(fieldByName) : null;
  return { format, fields, values };
}

async function exportThroughServer(argv: string[]): Promise<number> {
  const { format, fields, values } = exportArgs(argv);
  const client = await connect(values);
  const response = await client.exportDownload({ format, fields, bom: values.bom });
  const out = values.out ? createWriteStream(values.out) : process.stdout;
  const started = performance.now();
  let bytes = 0;
  for await (const chunk of response.body! as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  if (values.out) {
    out.end();
    await once(out, 'finish');
  }
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write(`Exported ${(bytes / 1024 / 1024).toFixed(1)} MB as ${format} from ${values.server} to ${values.out ?? 'stdout'} in ${seconds.toFixed(1)} s\n`);
  return 0;
}

async function exportCommand(services: Services, argv: string[]): Promise<number> {
  const { format, fields, values } = exportArgs(argv);
  const request = await services.exports.create(SYSTEM_PRINCIPAL, { format, fields, bom: values.bom });
  const out = values.out ? createWriteStream(values.out) : process.stdout;
  const started = performance.now();
  let rows = 0;
  const tty = process.stderr.isTTY && values.out !== undefined;
  for await (const piece of services.exports.chunks(request)) {
    rows += piece.rows;
    if (!out.write(piece.data)) await once(out, 'drain');
    if (tty) process.stderr.write(`\r${rows.toLocaleString('en')} rows`);
  }
  if (values.out) {
    out.end();
    await once(out, 'finish');
  }
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write(
    `${tty ? '\r' : ''}Exported ${rows.toLocaleString('en')} users as ${format} to ${values.out ?? 'stdout'} in ${seconds.toFixed(1)} s (${Math.round(rows / seconds).toLocaleString('en')} rows/s)\n`,
  );
  return 0;
}

/** Accepts the file names (firstName) or the enum names (FIRST_NAME). */
function fieldByName(name: string): UserField {
  const wanted = name.trim();
  const field = USER_FIELDS.find((f) => f === wanted.toUpperCase() || FIELD_KEYS[f].toLowerCase() === wanted.toLowerCase());
  if (!field) throw new UsageError(`unknown field "${name}"; fields: ${USER_FIELDS.map((f) => FIELD_KEYS[f]).join(', ')}`);
  return field;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n${USAGE}`);
      process.exit(2);
    }
    if (error instanceof ConfigError || error instanceof ServerError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
