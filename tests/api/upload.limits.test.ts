// Oversized and abandoned uploads (issue 9 item 1). An upload that crosses UPLOAD_MAX_BYTES while
// the import is starting used to kill the whole process: graphql-upload-ts destroyed the file's
// read stream with a 413 before the import had attached to it (an 'error' event nobody
// listened to) while the import record was being inserted. On PostgreSQL that insert takes a
// round trip; on the embedded database it is quick, so the tests keep the database busy with a
// transaction while the rest of the file arrives, as a loaded server would be. Twenty of each
// kind go in a row and the server must answer every one and still be up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsersWithCountDocument } from '../generated/graphql.js';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { splitUpload } from '../testkit/upload.js';

const LIMIT = 10_000;
const DOMAIN = 'oversized.test';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { UPLOAD_MAX_BYTES: String(LIMIT) } });
});
afterAll(async () => {
  await t?.stop();
});

/** About three times the limit: the first 4,000 bytes are within it, the rest is not. */
function oversizedCsv(tag: string): string {
  const rows = ['email,name'];
  for (let i = 0; i < 600; i++) rows.push(`${tag}.${i}@${DOMAIN},Row ${i}`);
  return `${rows.join('\n')}\n`;
}

async function usersFromTheseFiles(): Promise<number> {
  const result = await t.admin.execute(UsersWithCountDocument, { first: 1, filter: { search: `@${DOMAIN}` } });
  return result.expectData().users.totalCount;
}

/** UPLOAD_TOO_LARGE either before the import starts (the error) or as the import's failure. */
function uploadTooLargeCode(text: string): string | undefined {
  const body = JSON.parse(text) as {
    errors?: { extensions?: { code?: string } }[];
    data?: { importUsers?: { status: string; failure?: { code: string } | null } | null } | null;
  };
  if (body.errors?.length) return body.errors[0]?.extensions?.code;
  const run = body.data?.importUsers;
  return run?.status === 'FAILED' ? run.failure?.code : `status ${run?.status}`;
}

/**
 * Holds a transaction open so the import's first statement waits (on the embedded database,
 * which has one connection) while the overflow arrives, then lets it go.
 */
async function withDatabaseBusy<T>(send: () => Promise<T>, busyMs: number): Promise<T> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => (entered = resolve));
  const held = t.app.services.db.prisma.$transaction(
    async (tx) => {
      await tx.$queryRaw`SELECT 1`;
      entered();
      await released;
    },
    { timeout: 10_000 },
  );
  await inside;
  const answer = send();
  await new Promise((resolve) => setTimeout(resolve, busyMs));
  release();
  await held;
  return answer;
}

describe('uploads over UPLOAD_MAX_BYTES', () => {
  it('twenty with Content-Length and twenty chunked: each fails with UPLOAD_TOO_LARGE, nothing is written, the server stays up', async () => {
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 20; i++) {
      for (const chunked of [false, true]) {
        // The pause moves the moment the limit is crossed across the import's start.
        const pauseMs = 20 + (i % 10);
        const answer = await withDatabaseBusy(
          () => splitUpload(t.admin, oversizedCsv(`r${i}${chunked ? 'c' : 'l'}`), { splitAt: 4_000, pauseMs, chunked }),
          pauseMs + 30,
        );
        if ('dropped' in answer) throw new Error('connection dropped');
        codes.push(uploadTooLargeCode(answer.text));
      }
    }
    expect(new Set(codes)).toEqual(new Set(['UPLOAD_TOO_LARGE']));
    expect(codes).toHaveLength(40);
    expect((await fetch(t.url.replace('/graphql', '/healthz'))).status).toBe(200);
    expect(await usersFromTheseFiles()).toBe(0);
  });

  it('twenty clients that drop the connection mid-upload leave nothing written and the server up', async () => {
    for (let i = 0; i < 20; i++) {
      const pauseMs = 20 + (i % 10);
      await withDatabaseBusy(
        () =>
          splitUpload(t.admin, oversizedCsv(`d${i}`), { splitAt: 4_000, pauseMs, chunked: i % 2 === 0, abortAfterFirst: true }),
        pauseMs + 30,
      );
    }
    // The server has seen every disconnect once it answers the next request.
    (await t.admin.execute('{ __typename }')).expectData();
    expect(await usersFromTheseFiles()).toBe(0);
  });
});
