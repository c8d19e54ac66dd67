// The ceiling: node:http + pg running exactly the SQL our server runs (built by the same
// listing.sql.ts functions, with the same cursors: rows.ts), with no GraphQL, no framework and no
// ORM. A JSON protocol of its own: POST /page, /count, /user, /me. Started by peers.bench.ts as
// its own process. Env: DATABASE_URL, PORT, HOST, DATABASE_POOL_SIZE, JWT_SECRET (+ JWT_ISSUER, JWT_AUDIENCE).
import 'reflect-metadata';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';
import type { RecordField } from '../../src/users/user.columns.js';
import { RECORD_FIELDS } from '../../src/users/user.columns.js';
import { tokenOptionsFromEnv, verifyHs256 } from './hs256.js';
import { rowReader, type PageArgs } from './rows.js';
import { serveUntilSignal } from './serve.js';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
const rows = rowReader(pool);
const tokens = tokenOptionsFromEnv();

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const subject = verifyHs256(req.headers.authorization, tokens);
  if (!subject) return send(res, 401, { error: 'unauthenticated' });
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as PageArgs & { id?: string; fields?: RecordField[] };
  const fields = body.fields?.length ? body.fields : RECORD_FIELDS;
  switch (req.url ?? '') {
    case '/page':
      return send(res, 200, await rows.page(body, fields));
    case '/count':
      return send(res, 200, { totalCount: await rows.count(body.filter) });
    case '/user':
      return send(res, 200, await rows.byId(body.id!, fields));
    case '/me':
      return send(res, 200, await rows.byId(subject, fields));
    default:
      return send(res, 404, { error: 'not found' });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

const server = createServer((req, res) => {
  handle(req, res).catch((error: Error) => send(res, 500, { error: error.message }));
});
serveUntilSignal(server, () => pool.end());
