// Imports whose process died (killed, crashed, machine lost) do not stay RUNNING forever: every
// process marks the imports it runs as alive, and a server ends the ones nobody has marked for a
// while as FAILED, IMPORT_INTERRUPTED, naming the last committed row. Long imports that are
// alive (a slow upload) are never ended by mistake.
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_PRINCIPAL } from '../../src/auth/principal.js';
import { createLogger } from '../../src/logger.js';
import { ImportsRepository } from '../../src/users/import/import.repository.js';
import { importProgressBus } from '../../src/users/import/import.progress.js';
import { ImportService } from '../../src/users/import/import.service.js';
import { PasswordHashPool } from '../../src/users/import/password.pool.js';
import { UserImportDocument, UserImportProgressDocument } from '../generated/graphql.js';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { uniqueEmail } from '../testkit/seed.js';
import { subscribe, wsClient } from '../testkit/subscriptions.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ isolated: true });
});
afterAll(async () => {
  await t?.stop();
});

/** An import row as a process that died mid-import leaves it: RUNNING, last marked alive `silentFor` ago. */
async function abandonedImport(silentFor: string): Promise<string> {
  const [row] = await t.app.services.db.prisma.$queryRawUnsafe<{ id: string }[]>(
    `INSERT INTO user_imports (id, status, filename, mode, dry_run, total_rows, processed_rows, created, last_committed_row, started_at, updated_at)
     VALUES (gen_random_uuid(), 'RUNNING', 'crashed.csv', 'INSERT', false, 7000, 5000, 5000, 5001, now() - interval '1 hour', now() - interval '${silentFor}')
     RETURNING id::text AS id`,
  );
  return row!.id;
}

describe('abandoned imports', () => {
  it('a server ends an import nobody marked alive for two minutes, naming the last committed row; its subscribers hear it', async () => {
    const stale = await abandonedImport('10 minutes');
    const recent = await abandonedImport('30 seconds'); // its process may still be alive
    const socket = wsClient(t.wsUrl, t.admin.token);
    try {
      const watching = subscribe(socket, UserImportProgressDocument, { id: stale });
      await watching.waitFor(1);

      const ended = await t.app.services.imports.sweepAbandoned(120_000);
      expect(ended.map((r) => r.id)).toEqual([stale]);

      const record = (await t.admin.execute(UserImportDocument, { id: stale })).expectData().userImport;
      expect(record).toMatchObject({ status: 'FAILED', failure: { code: 'IMPORT_INTERRUPTED' }, processedRows: 5000, created: 5000, lastCommittedRow: 5001 });
      expect(record?.failure?.message).toContain('rows up to row 5001 were committed');
      expect(record?.finishedAt).toBeTruthy();
      await watching.waitUntil((r) => r.some((p) => p.userImportProgress.status === 'FAILED'));
      expect((await t.admin.execute(UserImportDocument, { id: recent })).expectData().userImport?.status).toBe('RUNNING');

      // Sweeping again changes nothing: an import is ended once.
      expect(await t.app.services.imports.sweepAbandoned(120_000)).toEqual([]);
    } finally {
      await socket.dispose();
      await t.app.services.imports.sweepAbandoned(null); // leaves no RUNNING row behind
    }
  });

  it('a slow import stays alive through its heartbeat while another process sweeps', async () => {
    const log = createLogger('silent');
    const repository = new ImportsRepository(t.app.services.db.prisma);
    const tuning = { ...t.app.config.tuning.import, heartbeatMs: 100, abandonedAfterMs: 600 };
    // The process running the import (it only beats) and a server sweeping aggressively.
    const worker = new ImportService({ repository, hasher: new PasswordHashPool(4), bus: importProgressBus(t.app.services.events), clock: t.app.services.clock, log, maxRows: 1000, uploadMaxBytes: 1e6, tuning });
    const sweeper = new ImportService({ repository, hasher: new PasswordHashPool(4), bus: importProgressBus(t.app.services.events), clock: t.app.services.clock, log, maxRows: 1000, uploadMaxBytes: 1e6, tuning });
    try {
      await sweeper.startHousekeeping(false);
      const file = new PassThrough();
      const started = await worker.start(SYSTEM_PRINCIPAL, { filename: 'slow.csv', stream: file }, { wait: false });
      file.write('email\n');
      // Silent on the wire for over three times the abandonment limit, one row at a time.
      for (let i = 0; i < 10; i++) {
        await new Promise((r) => setTimeout(r, 200));
        file.write(`${uniqueEmail(`slow${i}`)}\n`);
      }
      file.end();
      let record = await repository.findById(started.id);
      for (let i = 0; i < 100 && record?.status === 'RUNNING'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        record = await repository.findById(started.id);
      }
      expect(record).toMatchObject({ status: 'SUCCEEDED', created: 10, failure: null });
    } finally {
      await worker.close();
      await sweeper.close();
    }
  });
});
