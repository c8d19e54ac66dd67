// The database renders export rows (export.sql.ts); the JS serializer (export.format.ts) is the
// reference it must match byte for byte. Both render the same tricky rows here — formula
// prefixes, quotes, commas, line breaks, JS-only whitespace, controls, unicode, nulls, every
// field — in every format, across keyset batch boundaries, on whichever database the run uses.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportLinkSigner } from '../../src/users/export/export.link.js';
import { EXPORT_FORMATS, USER_FIELDS, type ExportFormat, type ExportRequest, type KeysetPosition, type UserField } from '../../src/users/export/export.model.js';
import { ExportService } from '../../src/users/export/export.service.js';
import { ExportsRepository } from '../../src/users/export/export.repository.js';
import { batch, serializer } from '../testkit/export-oracle.js';
import { normalizeFilter } from '../../src/users/listing/listing.service.js';
import type { UserFilter } from '../../src/users/listing/listing.model.js';
import type { UserRecord } from '../../src/users/user.model.js';
import { ExportUsersDocument } from '../generated/graphql.js';
import { databaseUrl, startTestApp, type TestApp } from '../testkit/app.js';

let t: TestApp;
let repository: ExportsRepository;
let service: ExportService;
let rangeService: ExportService;
/** PostgreSQL: the whole export as one binary COPY (what the server uses there); else none. */
let copyServices: ExportService[] = [];
const tag = `render${randomUUID().slice(0, 8)}`;

// Every rule of csvCell() and JSON.stringify() has a value here that exercises it.
const TRICKY = [
  '=HYPERLINK("http://evil.test","x")',
  '+SUM(1,2)',
  '-2+3',
  '@cmd',
  '\tTAB',
  '\rCR',
  '\r\nCRLF',
  "'=already quoted",
  "''+twice",
  "'",
  "'\t",
  ' =not a formula',
  'a,b',
  'say "hi"',
  '"',
  ',',
  'line\nbreak',
  'trailing space ',
  ' leading space',
  '\u00a0nbsp',
  'nbsp\u00a0',
  // A *leading* U+FEFF is covered by its own test below: the driver drops it on the JS path.
  'bom\ufeff',
  'mid\ufeffbom',
  '\u2007figure',
  '\u202fnarrow',
  '\u3000ideographic',
  'x\u2028y\u2029z',
  '\u000bvt',
  'ff\u000c',
  'ctl\u0001\u001f\u007f',
  'back\\slash/slash',
  'ünïcødé 😀 中文 עברית',
  '',
];

// A few rows share a creation instant, so the keyset's id tiebreak is crossed too.
const BASE = Date.parse('2026-03-04T05:06:07.089Z');

beforeAll(async () => {
  // Its own database: these rows (admins, deleted users) must not show in other files' figures.
  t = await startTestApp({ isolated: true });
  const prisma = t.app.services.db.prisma;
  repository = new ExportsRepository(prisma);
  const signer = new ExportLinkSigner('x'.repeat(40), 'test');
  // One batch at a time, walking the keyset (what the embedded database uses).
  service = new ExportService(repository, signer, t.app.services.clock, () => 'http://localhost', { renderers: 1, batchRows: 10_000 });
  // Two batches rendering at once over key ranges (what PostgreSQL uses); on PGlite they queue.
  rangeService = new ExportService(repository, signer, t.app.services.clock, () => 'http://localhost', { renderers: 2, batchRows: 10_000 });
  const { db } = t.app.services;
  if (db.copyTo) {
    const copying = new ExportsRepository(prisma, (statement) => db.copyTo!(statement));
    copyServices = [new ExportService(copying, signer, t.app.services.clock, () => 'http://localhost', { renderers: 2, batchRows: 10_000 })];
  }
  await prisma.user.createMany({
    data: TRICKY.map((text, i) => ({
      email: i % 5 === 0 ? `"q,${i}"+${tag}@example.test` : `${tag}.${i}@example.test`,
      name: text,
      firstName: i % 3 === 0 ? null : TRICKY[(i + 7) % TRICKY.length]!,
      lastName: i % 4 === 0 ? null : TRICKY[(i + 13) % TRICKY.length]!,
      phoneNumber: i % 2 === 0 ? '+14155550123' : i % 3 === 0 ? null : '-1',
      avatarUrl: i % 3 === 1 ? null : `https://x.test/${encodeURIComponent(text)}?a=1,b="2"`,
      role: (['ADMIN', 'VIEWER', 'USER'] as const)[i % 3],
      isActive: i % 2 === 0,
      isEmailVerified: i % 3 === 0,
      lastLoginAt: i % 4 === 1 ? null : new Date(BASE + i * 1_001),
      createdAt: new Date(BASE + Math.floor(i / 3) * 1_000),
      updatedAt: new Date(BASE + i * 37_123_457),
      deletedAt: i % 6 === 5 ? new Date(Date.UTC(1999, 11, 31, 23, 59, 59, 999)) : null,
      // Suspended: indefinitely, until a future date, or until a past one (status no longer SUSPENDED).
      suspendedAt: i % 4 === 2 ? new Date(BASE + i) : null,
      suspendedUntil: i % 8 === 2 ? new Date(BASE + 60_000) : i % 12 === 6 ? new Date(Date.UTC(2099, 0, 1)) : null,
      suspensionReason: i % 4 === 2 ? TRICKY[(i + 3) % TRICKY.length]! : null,
      // Nothing writes a negative version, but String(-1) is formula-looking: both must agree.
      version: i === 4 ? -1 : i + 1,
      externalId: i % 3 === 2 ? null : `${TRICKY[(i + 5) % TRICKY.length]!}-${i}`,
      // JSON in one CSV cell (its quotes and commas) and as a value in JSON lines, with tricky text inside.
      attributes: i % 4 === 3 ? undefined : i % 4 === 1 ? {} : { note: text, n: i, nested: { list: [text, true, null, -1.5] }, 'k.e-y_1': 'v' },
    })),
  });
});
afterAll(async () => {
  await t?.stop();
});

function request(format: ExportFormat, fields: readonly UserField[]): ExportRequest {
  return {
    id: randomUUID(),
    format,
    fields: [...fields],
    filter: normalizeFilter({ search: tag, deleted: 'INCLUDE' }),
    bom: false,
    createdById: null,
    createdAt: new Date(),
    expiresAt: new Date(Date.now() + 60_000),
  };
}

/** The file as the JS renderer (the previous implementation of chunks()) writes it. */
async function renderInJs(r: ExportRequest, batchRows: number): Promise<string> {
  const format = serializer(r.format, r.fields);
  let out = format.head;
  let after: KeysetPosition | null = null;
  for (let first = true; ; first = false) {
    const users = await batch(t.app.services.db.prisma, r.filter, r.createdAt, r.fields, after, batchRows);
    if (users.length === 0) break;
    out += format.rows(users, first);
    if (users.length < batchRows) break;
    const last = users[users.length - 1] as unknown as { _createdAt: Date; _id: string };
    after = { createdAt: last._createdAt, id: last._id };
  }
  return out + format.tail;
}

async function renderInSql(r: ExportRequest, batchRows?: number, via = service): Promise<{ text: string; rows: number }> {
  // Bytes first, decoded once: a COPY piece may end inside a multi-byte character.
  const parts: Buffer[] = [];
  let rows = 0;
  for await (const piece of via.chunks(r, undefined, batchRows)) {
    parts.push(typeof piece.data === 'string' ? Buffer.from(piece.data) : piece.data);
    rows += piece.rows;
  }
  return { text: Buffer.concat(parts).toString('utf8'), rows };
}

const SELECTIONS: { name: string; fields: readonly UserField[] }[] = [
  { name: 'every field', fields: USER_FIELDS },
  { name: 'a few, out of order', fields: ['VERSION', 'NAME', 'LAST_LOGIN_AT', 'EMAIL', 'IS_ACTIVE'] },
  { name: 'one nullable timestamp', fields: ['DELETED_AT'] },
];

describe('export rendering: SQL matches the JS serializer byte for byte', () => {
  for (const format of EXPORT_FORMATS) {
    for (const { name, fields } of SELECTIONS) {
      it(`${format}, ${name}`, async () => {
        const r = request(format, fields);
        const expected = await renderInJs(r, 1_000);
        expect(expected.length).toBeGreaterThan(TRICKY.length * 5);
        // One batch, batches that split rows sharing a creation instant, and one row per batch.
        for (const batchRows of [undefined, 7, 1]) {
          for (const via of [service, rangeService, ...copyServices]) {
            const got = await renderInSql(r, batchRows, via);
            expect(got.rows).toBe(TRICKY.length);
            expect(got.text).toBe(expected);
          }
        }
        // The JS renderer, in smaller batches, agrees with itself (the keyset carries no state).
        expect(await renderInJs(r, 4)).toBe(expected);
      });
    }
  }

  it('matches with hundreds of rows per batch and across batches', async () => {
    const manyTag = `many${randomUUID().slice(0, 8)}`;
    await t.app.services.db.prisma.user.createMany({
      data: Array.from({ length: 300 }, (_, i) => ({
        email: `${manyTag}.${i}@example.test`,
        name: TRICKY[i % TRICKY.length]!,
        createdAt: new Date(BASE + Math.floor(i / 2)),
      })),
    });
    for (const format of EXPORT_FORMATS) {
      const r = { ...request(format, USER_FIELDS), filter: normalizeFilter({ search: manyTag }) };
      const expected = await renderInJs(r, 1_000);
      for (const batchRows of [undefined, 200, 300, 299]) {
        for (const via of [service, rangeService, ...copyServices]) expect((await renderInSql(r, batchRows, via)).text).toBe(expected);
      }
    }
  });

  it('matches for a filter that keeps almost everybody, whose batch ends come from the index alone', async () => {
    for (const deleted of ['EXCLUDE', 'INCLUDE'] as const) {
      const r = { ...request('NDJSON', USER_FIELDS), filter: normalizeFilter({ deleted }) };
      const expected = await renderInJs(r, 1_000);
      // Batches of 7 over all users, deleted ones included: some hold fewer than 7 rows.
      for (const via of [rangeService, ...copyServices]) {
        const got = await renderInSql(r, 7, via);
        expect(got.text).toBe(expected);
        expect(got.rows).toBe(expected.split('\n').length - 1);
      }
    }
  });

  // COPY takes no parameters: the filter's values are written into the statement as literals
  // (db/inline.sql.ts). They must select exactly what the bound parameters of a batch select.
  it.runIf(databaseUrl())('selects the same users with every kind of filter value, written into the COPY as literals', async () => {
    const ids = (await t.app.services.db.prisma.user.findMany({ where: { email: { contains: tag } }, select: { id: true }, take: 5 })).map((u) => u.id);
    const filters: UserFilter[] = [
      { search: 'say "hi"' },
      { search: 'back\\slash' },
      { search: "'=already" },
      { search: '100%_' },
      { search: tag, roles: ['ADMIN', 'VIEWER'], isActive: true },
      { search: tag, createdAt: { gte: new Date(BASE + 3_000), lt: new Date(BASE + 9_000) }, deleted: 'INCLUDE' },
      { ids, deleted: 'INCLUDE' },
      { search: tag, status: ['DELETED', 'SUSPENDED'], deleted: 'INCLUDE' },
      { search: tag, isEmailVerified: false, lastLoginAt: { isNull: true } },
      { search: tag, attributes: [{ path: 'k.e-y_1', eq: 'v' }, { path: 'n', gte: 2, lt: 30 }] },
      { search: tag, roles: [] },
    ];
    let nonEmpty = 0;
    for (const filter of filters) {
      const r = { ...request('NDJSON', ['ID', 'NAME']), filter: normalizeFilter(filter) };
      const batched = await renderInSql(r, 7, rangeService);
      expect((await renderInSql(r, undefined, copyServices[0])).text).toBe(batched.text);
      if (batched.rows > 0) nonEmpty += 1;
    }
    expect(nonEmpty).toBeGreaterThanOrEqual(8);
  });

  it('derives STATUS as the User type does, at the moment of the export', async () => {
    const r = request('NDJSON', ['EMAIL', 'STATUS', 'SUSPENDED_UNTIL']);
    const lines = (await renderInSql(r, 7, rangeService)).text.trim().split('\n').map((l) => JSON.parse(l) as { status: string; suspendedUntil: string | null });
    expect(new Set(lines.map((l) => l.status))).toEqual(new Set(['ACTIVE', 'INACTIVE', 'SUSPENDED', 'DELETED']));
    // A suspension that ended before the export does not count; one until 2099 does.
    expect(lines.filter((l) => l.suspendedUntil?.startsWith('2026')).every((l) => l.status !== 'SUSPENDED')).toBe(true);
    expect(lines.filter((l) => l.suspendedUntil?.startsWith('2099')).map((l) => l.status)).toContain('SUSPENDED');
  });

  it('renders an empty selection as the JS serializer does', async () => {
    for (const format of EXPORT_FORMATS) {
      const r = { ...request(format, USER_FIELDS), filter: normalizeFilter({ search: `${tag}-nobody` }) };
      const expected = await renderInJs(r, 5);
      expect((await renderInSql(r)).text).toBe(expected);
      expect((await renderInSql(r, 5, rangeService)).text).toBe(expected);
      for (const via of copyServices) expect((await renderInSql(r, undefined, via)).text).toBe(expected);
    }
  });

  it('serves the same bytes over the download link', async () => {
    for (const format of EXPORT_FORMATS) {
      const variables = { format, filter: { search: tag, deleted: 'INCLUDE' as const } };
      const link = (await t.admin.execute(ExportUsersDocument, variables)).expectData().exportUsers;
      const body = await (await fetch(link.url)).text();
      expect(body).toBe(await renderInJs(request(format, USER_FIELDS), 1_000));
    }
  });

  // Decoding a text column, the driver (pg and PGlite alike) treats a leading U+FEFF as a byte
  // order mark and drops it, so the JS path exported "\ufeffbom" as "bom". The SQL path exports
  // what is stored; it must still render it exactly as the JS serializer renders the true value.
  it('keeps a leading U+FEFF that reading rows through the driver dropped', async () => {
    const bomTag = `bom${randomUUID().slice(0, 8)}`;
    const values = { name: '\ufeffbom', firstName: '\ufeff', lastName: '\ufeff=1' };
    await t.app.services.db.prisma.user.create({ data: { email: `${bomTag}@example.test`, ...values } });
    const fields: UserField[] = ['NAME', 'FIRST_NAME', 'LAST_NAME'];
    for (const format of EXPORT_FORMATS) {
      const r = { ...request(format, fields), filter: normalizeFilter({ search: bomTag }) };
      const js = serializer(format, fields);
      for (const via of [service, ...copyServices]) expect((await renderInSql(r, undefined, via)).text).toBe(js.head + js.rows([values as unknown as UserRecord], true) + js.tail);
    }
  });
});
