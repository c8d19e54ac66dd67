// The stack floor: our HTTP and GraphQL stack (express 5, @as-integrations/express5, Apollo
// Server 5, graphql-js executing a TypeGraphQL schema shaped like ours: floor.schema.ts) with
// resolvers that answer from memory. No database on the request path, no auth, no operation
// gate, no rate limiter, no logging: what is left is what any server on this stack pays per
// request, so our server cannot beat it. Where our server already took a cheaper setting of the
// same stack, the floor takes it too (our lean JSON body reader, no ETag, Apollo's cache-control
// plugin off); everything else is Apollo's defaults. Started by peers.bench.ts as its own
// process. Env: DATABASE_URL (read once per distinct question), PORT, HOST, JWT_SECRET (+ JWT_ISSUER, JWT_AUDIENCE).
import 'reflect-metadata';
import { createServer } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import pg from 'pg';
import { jsonBody } from '../../src/http/json-body.middleware.js';
import { floorSchema, type FloorContext } from './floor.schema.js';
import { rowReader } from './rows.js';
import { serveUntilSignal } from './serve.js';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
const apollo = new ApolloServer<FloorContext>({
  schema: await floorSchema(rowReader(pool)),
  stopOnTerminationSignals: false,
  plugins: [ApolloServerPluginCacheControlDisabled()],
});
await apollo.start();

const app = express();
app.set('etag', false);
app.set('x-powered-by', false);
app.use(
  '/graphql',
  jsonBody(1024 * 1024),
  expressMiddleware(apollo, { context: ({ req }) => Promise.resolve({ authorization: req.headers.authorization }) }),
);

const server = createServer(app);
serveUntilSignal(server, () => apollo.stop().then(() => pool.end()));
