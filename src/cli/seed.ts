// `npm run seed -- --users N [--batch 50000]`: loads N realistic users into the configured
// database (DATABASE_URL, or the embedded one in DATA_DIR). Every seeded user's password is
// "password123" so a person can log in as any of them.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import bcrypt from 'bcryptjs';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { applyMigrations } from '../db/migrate.js';
import { SeedRepository } from '../users/seed/seed.repository.js';

const { values } = parseArgs({
  options: { users: { type: 'string', default: '1000' }, batch: { type: 'string', default: '50000' } },
});
const total = Number(values.users);
const batch = Number(values.batch);
if (!Number.isInteger(total) || total < 1 || !Number.isInteger(batch) || batch < 1) {
  process.stderr.write('usage: npm run seed -- --users N [--batch 50000]\n');
  process.exit(2);
}

const config = loadConfig();
const db = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir });
await applyMigrations(db);
const repo = new SeedRepository(db.prisma);
const hash = bcrypt.hashSync('password123', 10);
const tag = randomBytes(3).toString('hex');
const started = performance.now();
await repo.seed(tag, total, batch, hash, (done) => {
  const rate = Math.round(done / ((performance.now() - started) / 1000));
  process.stdout.write(`\rseeded ${done.toLocaleString('en')} / ${total.toLocaleString('en')} users (${rate.toLocaleString('en')}/s)`);
});
process.stdout.write('\nindexes rebuilt; analyzing\n');
await repo.analyze();
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`\nseeded ${total.toLocaleString('en')} users into ${db.kind} in ${seconds.toFixed(1)} s (tag ${tag}, password "password123")\n`);
await db.close();
process.exit(0);
