// The peer: PostGraphile 5 (Amber preset) with postgraphile-plugin-connection-filter, over the
// same database, started by peers.bench.ts as its own process. PostGraphile 5 needs Node 22's
// Promise.withResolvers: polyfilled here, in its own process only, before it is loaded.
// Env: DATABASE_URL, PORT, HOST, DATABASE_POOL_SIZE, JWT_SECRET (+ JWT_ISSUER, JWT_AUDIENCE).
import { createServer } from 'node:http';
import { tokenOptionsFromEnv, verifyHs256 } from './hs256.js';
import { serveUntilSignal } from './serve.js';

interface WithResolvers {
  withResolvers?: <T>() => { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void };
}
const P = Promise as unknown as WithResolvers;
P.withResolvers ??= <T>() => {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

const { postgraphile } = await import('postgraphile');
const { PostGraphileAmberPreset } = await import('postgraphile/presets/amber');
const { makePgService } = await import('postgraphile/adaptors/pg');
const { grafserv } = await import('postgraphile/grafserv/node');
const { extendSchema, gql } = await import('postgraphile/utils');
const { context } = await import('postgraphile/grafast');
const { PostGraphileConnectionFilterPreset } = await import('postgraphile-plugin-connection-filter');

const tokens = tokenOptionsFromEnv();

// `me`: PostGraphile's own way (a plan reading the verified subject from the GraphQL context).
const CurrentUserPlugin = extendSchema((build) => {
  const users = build.input.pgRegistry.pgResources.users!;
  return {
    typeDefs: gql`
      extend type Query {
        currentUser: User
      }
    `,
    objects: {
      Query: {
        plans: {
          currentUser() {
            return users.get({ id: context().get('userId' as never) });
          },
        },
      },
    },
  };
});

const preset: GraphileConfig.Preset = {
  extends: [PostGraphileAmberPreset, PostGraphileConnectionFilterPreset],
  plugins: [CurrentUserPlugin],
  // By default PostGraphile 5 offers filters and sorts on indexed columns only; the workloads
  // filter on is_active, role and deleted_at as ours do.
  disablePlugins: ['PgIndexBehaviorsPlugin'],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL!,
      schemas: ['public'],
      poolConfig: { max: Number(process.env.DATABASE_POOL_SIZE ?? 10) },
    }),
  ],
  grafserv: { graphqlPath: '/graphql', graphiql: false, watch: false },
  grafast: {
    explain: false,
    context(requestContext) {
      const userId = verifyHs256(requestContext.node?.req.headers.authorization, tokens);
      if (!userId) throw new Error('unauthenticated');
      return { userId } as Partial<Grafast.Context>;
    },
  },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
await serv.addTo(server);
serveUntilSignal(server, () => pgl.release());
