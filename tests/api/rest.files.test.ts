// REST export (three formats, streamed to the bearer-token caller, filters as in the listing) and
// import (multipart `file`, dry run, row errors named by row number, the size limit), over real
// HTTP and checked against /api/openapi.json.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { RestClient, RestContract, type RestError } from '../testkit/rest.js';
import { clientFor, uniqueEmail } from '../testkit/seed.js';

interface ImportResult {
  status: string;
  dryRun: boolean;
  totalRows: number;
  created: number;
  updated: number;
  failed: number;
  failure: { code: string } | null;
  errors: { row: number; email: string | null; field: string; code: string }[];
}

let t: TestApp;
let admin: RestClient;
const UPLOAD_MAX_BYTES = 4096;
beforeAll(async () => {
  t = await startTestApp({ env: { UPLOAD_MAX_BYTES: String(UPLOAD_MAX_BYTES) } });
  const base = new URL(t.url).origin;
  admin = new RestClient(base, await RestContract.load(base), t.admin.token);
});
afterAll(async () => {
  await t?.stop();
});

function upload(client: RestClient, query: string, csv: string) {
  const form = new FormData();
  form.set('file', new Blob([csv], { type: 'text/csv' }), 'users.csv');
  return client.request<ImportResult>('POST', `/api/users/import${query}`, { body: form });
}

describe('import', () => {
  it('dry-runs without writing, then imports, naming a bad row by its number', async () => {
    const mark = `imp${Date.now().toString(36)}`;
    const good = [uniqueEmail(mark), uniqueEmail(mark)];
    const csv = `email,name,role\n${good[0]},${mark} One,VIEWER\nnot-an-email,${mark} Bad,USER\n${good[1]},${mark} Two,USER\n`;

    const dry = await upload(admin, '?dryRun=true', csv);
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ status: 'SUCCEEDED', dryRun: true, totalRows: 3, created: 2, failed: 1 });
    expect(dry.body.errors).toEqual([expect.objectContaining({ row: 3, field: 'email', code: 'INVALID_VALUE' })]);
    expect((await admin.get<{ data: unknown[] }>(`/api/users?search=${mark}`)).body.data).toEqual([]);

    const real = await upload(admin, '?mode=UPSERT', csv);
    expect(real.body).toMatchObject({ status: 'SUCCEEDED', dryRun: false, created: 2, failed: 1 });
    expect(real.body.errors[0]?.row).toBe(3);
    const listed = await admin.get<{ data: { email: string }[] }>(`/api/users?search=${mark}&sort=email:asc`);
    expect(listed.body.data.map((u) => u.email)).toEqual([...good].sort());
  });

  it('refuses a file over UPLOAD_MAX_BYTES with UPLOAD_TOO_LARGE and writes nothing', async () => {
    const mark = `big${Date.now().toString(36)}`;
    const rows = Array.from({ length: 200 }, () => `${uniqueEmail(mark)},${mark}`).join('\n');
    const answer = await admin.request<RestError>('POST', '/api/users/import', { body: formOf(`email,name\n${rows}\n`) });
    expect(answer.status).toBe(413);
    expect(answer.body.code).toBe('UPLOAD_TOO_LARGE');
    expect((await admin.get<{ data: unknown[] }>(`/api/users?search=${mark}`)).body.data).toEqual([]);
  });

  it('answers 400 naming a bad mode, and 400 when the file field is missing', async () => {
    const bad = await upload(admin, '?mode=MERGE', 'email\n');
    expect(bad.status).toBe(400);
    expect((bad.body as unknown as RestError).details[0]?.path).toBe('mode');
    const form = new FormData();
    form.set('other', 'x');
    const none = await admin.request<RestError>('POST', '/api/users/import', { body: form });
    expect(none.status).toBe(400);
    expect(none.body.code).toBe('BAD_REQUEST');
  });

  it('is ADMIN only', async () => {
    const viewer = await clientFor(t.admin, 'VIEWER');
    const answer = await upload(admin.withToken(viewer.client.token), '', `email\n${uniqueEmail()}\n`);
    expect(answer.status).toBe(403);
  });
});

function formOf(csv: string): FormData {
  const form = new FormData();
  form.set('file', new Blob([csv], { type: 'text/csv' }), 'users.csv');
  return form;
}

describe('export', () => {
  it('streams CSV, JSON and NDJSON to the bearer-token caller with the listing filters', async () => {
    const mark = `exp${Date.now().toString(36)}`;
    const emails = [uniqueEmail(mark), uniqueEmail(mark)].sort();
    for (const email of emails) await admin.post('/api/users', { email, name: `${mark} user`, role: 'VIEWER' });
    await admin.post('/api/users', { email: uniqueEmail(mark), name: `${mark} admin`, role: 'ADMIN' });

    const csv = await admin.get(`/api/users/export?format=csv&search=${mark}&role=VIEWER&fields=EMAIL,NAME`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="users.*\.csv"$/);
    const lines = csv.text.trim().split(/\r?\n/);
    expect(lines[0]).toBe('email,name');
    expect(lines.slice(1).sort()).toEqual(emails.map((e) => `${e},${mark} user`));

    const json = await admin.get(`/api/users/export?format=json&search=${mark}&role=VIEWER`);
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const parsed = (typeof json.body === 'string' ? JSON.parse(json.body) : json.body) as { email: string }[];
    expect(parsed.map((u) => u.email).sort()).toEqual(emails);

    const ndjson = await admin.get<string>(`/api/users/export?format=NDJSON&search=${mark}&role=VIEWER`);
    expect(ndjson.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(ndjson.text.trim().split('\n').map((l) => (JSON.parse(l) as { email: string }).email).sort()).toEqual(emails);
  });

  it('refuses an unknown format naming it, and no token with 401', async () => {
    const bad = await admin.get<RestError>('/api/users/export?format=xml');
    expect(bad.status).toBe(400);
    expect(bad.body.details[0]?.path).toBe('format');
    expect((await admin.withToken(undefined).get('/api/users/export?format=csv')).status).toBe(401);
  });
});
