// Operator CLI for bulk moves, against the configured database (DATABASE_URL, or the embedded
// one in DATA_DIR: stop the server first, PGlite has one user at a time). It runs the same
// ImportService and ExportService as the GraphQL API, as the system principal.
//
//   npm run users -- import users.csv [--mode insert|upsert|skip-existing] [--dry-run]
//   npm run users -- export --format csv|json|ndjson [--out file] [--fields email,name,...] [--bom] [--bom]
//
// Progress goes to stderr (a bar on a terminal), the export file to --out or stdout. Exit codes:
// 0 done, 1 the import failed or was cancelled, 2 usage, 3 done with row errors.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
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

const USAGE = `usage:
  npm run users -- import <file.csv> [--mode insert|upsert|skip-existing] [--dry-run]
  npm run users -- export --format csv|json|ndjson [--out file] [--fields email,name,...] [--bom]
`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'import' && command !== 'export') throw new UsageError(command ? `unknown command "${command}"` : 'missing command');
  const config = loadConfig();
  const db = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir, poolSize: config.database.poolSize });
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

async function importCommand(services: Services, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { mode: { type: 'string', default: 'insert' }, 'dry-run': { type: 'boolean', default: false } },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UsageError('import takes one CSV file');
  const mode = values.mode.toUpperCase().replace(/-/g, '_') as ImportMode;
  if (!['INSERT', 'UPSERT', 'SKIP_EXISTING'].includes(mode)) throw new UsageError(`--mode must be insert, upsert or skip-existing, not "${values.mode}"`);
  const size = statSync(file).size;
  const stream = createReadStream(file, { highWaterMark: 256 * 1024 });
  const started = performance.now();
  const running = await services.imports.start(SYSTEM_PRINCIPAL, { filename: basename(file), stream }, { mode, dryRun: values['dry-run'], wait: false });

  const bar = new ProgressBar(size, started);
  const onSignal = () => {
    process.stderr.write('\ncancelling after the current chunk…\n');
    void services.imports.cancel(SYSTEM_PRINCIPAL, running.id);
  };
  process.once('SIGINT', onSignal);
  const timer = setInterval(() => bar.draw(stream.bytesRead), 200);
  let final: ImportRecord = running;
  try {
    for await (const record of services.imports.progress(SYSTEM_PRINCIPAL, running.id)) {
      final = record;
      bar.rows = record.processedRows;
      bar.draw(stream.bytesRead);
      if (isFinished(record)) break;
    }
  } finally {
    clearInterval(timer);
    process.off('SIGINT', onSignal);
    bar.done();
  }
  const seconds = (performance.now() - started) / 1000;
  const lines = [
    `${final.dryRun ? 'Dry run' : 'Import'} of ${final.filename}: ${final.status} in ${seconds.toFixed(1)} s (${Math.round(final.processedRows / seconds).toLocaleString('en')} rows/s)`,
    `  rows ${final.totalRows.toLocaleString('en')}, created ${final.created.toLocaleString('en')}, updated ${final.updated.toLocaleString('en')}, skipped ${final.skipped.toLocaleString('en')}, failed ${final.failed.toLocaleString('en')}`,
  ];
  if (final.failure) lines.push(`  ${final.failure.code}: ${final.failure.message}`);
  if (final.status !== 'SUCCEEDED') lines.push(`  committed: every row up to row ${final.lastCommittedRow} without an error; nothing after it`);
  if (final.errorCount > 0) {
    const errors = await services.imports.errors(SYSTEM_PRINCIPAL, final.id, 20);
    lines.push(`  first row errors (${final.errorCount.toLocaleString('en')} in all; import id ${final.id}):`);
    for (const e of errors) lines.push(`    row ${e.row}${e.email ? ` (${e.email})` : ''} ${e.field}: ${e.message} [${e.code}]`);
  }
  process.stderr.write(`${lines.join('\n')}\n`);
  if (final.status !== 'SUCCEEDED') return 1;
  return final.failed > 0 ? 3 : 0;
}

async function exportCommand(services: Services, argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { format: { type: 'string', default: 'csv' }, out: { type: 'string' }, fields: { type: 'string' }, bom: { type: 'boolean', default: false } },
  });
  const format = values.format.toUpperCase() as ExportFormat;
  if (!EXPORT_FORMATS.includes(format)) throw new UsageError(`--format must be csv, json or ndjson, not "${values.format}"`);
  const fields = values.fields ? values.fields.split(',').map(fieldByName) : null;
  const request = await services.exports.create(SYSTEM_PRINCIPAL, { format, fields, bom: values.bom });
  const out = values.out ? createWriteStream(values.out) : process.stdout;
  const started = performance.now();
  let rows = 0;
  const tty = process.stderr.isTTY && values.out !== undefined;
  for await (const piece of services.exports.chunks(request)) {
    rows += piece.rows;
    if (!out.write(piece.text)) await once(out, 'drain');
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

/** A one-line bar on a terminal (by bytes read, since rows are not known in advance). */
class ProgressBar {
  rows = 0;
  private readonly enabled = process.stderr.isTTY;

  constructor(
    private readonly totalBytes: number,
    private readonly started: number,
  ) {}

  draw(bytes: number): void {
    if (!this.enabled) return;
    const ratio = this.totalBytes ? Math.min(1, bytes / this.totalBytes) : 1;
    const width = 30;
    const filled = Math.round(ratio * width);
    const rate = Math.round(this.rows / Math.max(0.001, (performance.now() - this.started) / 1000));
    process.stderr.write(
      `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}%  ${this.rows.toLocaleString('en')} rows committed  ${rate.toLocaleString('en')} rows/s `,
    );
  }

  done(): void {
    if (this.enabled) process.stderr.write('\n');
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n${USAGE}`);
      process.exit(2);
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
