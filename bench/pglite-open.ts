// The start benchmark's ceiling: a process that does nothing but open a PGlite data directory
// (with the extension the service loads) and answer one query, then says "ready <CPU ms>" and exits.
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node dist/bench/pglite-open.js <data dir>');
const pglite = await PGlite.create(dir, { extensions: { pg_trgm } });
await pglite.query('SELECT 1');
const { user, system } = process.cpuUsage();
process.stdout.write(`ready ${Math.round((user + system) / 1000)}\n`);
await pglite.close();
process.exit(0);
