// The floor without Apollo and express: the same TypeGraphQL schema and in-memory resolvers as
// floor.server.ts (floor.schema.ts), run by graphql-js's own parse/validate/execute from a plain
// node:http handler. Documents are parsed and validated once per query text, as Apollo's document
// cache does. The gap between this and the floor is what Apollo + express cost per request; the
// gap between this and the bare server is graphql-js and TypeGraphQL's execution. Started by
// peers.bench.ts as its own process. Env as floor.server.ts.
import 'reflect-metadata';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { execute, parse, validate, type DocumentNode, type ExecutionResult, type GraphQLError } from 'graphql';
import pg from 'pg';
import { floorSchema, type FloorContext } from './floor.schema.js';
import { rowReader } from './rows.js';
import { serveUntilSignal } from './serve.js';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
const schema = await floorSchema(rowReader(pool));
const documents = new Map<string, DocumentNode | readonly GraphQLError[]>();

function documentOf(query: string): DocumentNode | readonly GraphQLError[] {
  let document = documents.get(query);
  if (!document) {
    const parsed = parse(query);
    const errors = validate(schema, parsed);
    document = errors.length ? errors : parsed;
    documents.set(query, document);
  }
  return document;
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST' || req.url !== '/graphql') return send(res, 404, { errors: [{ message: 'not found' }] });
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query: string; variables?: Record<string, unknown>; operationName?: string };
  const document = documentOf(body.query);
  if (Array.isArray(document)) return send(res, 400, { errors: document });
  const contextValue: FloorContext = { authorization: req.headers.authorization };
  const result: ExecutionResult = await execute({ schema, document: document as DocumentNode, variableValues: body.variables, operationName: body.operationName, contextValue });
  send(res, 200, result);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/graphql-response+json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

const server = createServer((req, res) => {
  handle(req, res).catch((error: Error) => send(res, 500, { errors: [{ message: error.message }] }));
});
serveUntilSignal(server, () => pool.end());
