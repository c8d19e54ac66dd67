// POST /api/auth/login: a REST caller's way to a bearer token, on the same auth service as
// GraphQL's `login` (throttling, sessions, login history and all). Refreshing and logging out
// stay GraphQL's (refreshSession, logout): a REST client signs in once per session.
import { z } from 'zod';
import { route, type RestKit } from './rest.operation.js';

const loginBody = z.object({ email: z.string(), password: z.string() }).strict().meta({ id: 'Login' });
const tokenSchema = z
  .object({
    accessToken: z.string(),
    expiresAt: z.iso.datetime(),
    refreshToken: z.string(),
    refreshTokenExpiresAt: z.iso.datetime(),
    sessionId: z.string(),
    userId: z.string(),
  })
  .strict()
  .meta({ id: 'Tokens' });

export function authRoutes(kit: RestKit): void {
  route(
    kit,
    {
      method: 'post',
      path: '/api/auth/login',
      operationId: 'login',
      summary: 'Sign in: email and password for a bearer token',
      description: 'The same as the GraphQL `login` mutation. Send the accessToken as `Authorization: Bearer <accessToken>`.',
      tag: 'auth',
      permission: null,
      body: loginBody,
      responses: { 200: { description: 'A new session\'s tokens.', schema: tokenSchema } },
      errors: [],
      renameField: (f) => f,
    },
    async ({ body, ctx, res }) => {
      const session = await kit.services.auth.login(body.email, body.password, ctx.client);
      res.set('cache-control', 'no-store').json({
        accessToken: session.accessToken,
        expiresAt: session.expiresAt.toISOString(),
        refreshToken: session.refreshToken,
        refreshTokenExpiresAt: session.refreshTokenExpiresAt.toISOString(),
        sessionId: session.sessionId,
        userId: session.user.id,
      });
    },
  );
}
