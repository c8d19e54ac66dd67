// Revocation across instances: two servers on one PostgreSQL database and one Redis. A user's
// tokens are used on both (so both have the user's access cached), then the user is suspended
// through the first: the second refuses them and closes their subscription well before its relay
// would have polled the table (5 s with Redis), so the news came through Redis.
// PostgreSQL only (PGlite is one process); Redis at TEST_REDIS_URL or 127.0.0.1:6379.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginWithRefreshDocument, MeDocument, OnUserCreatedDocument, SuspendUserDocument } from '../generated/graphql.js';
import { databaseUrl, startTestApp, type TestApp } from '../testkit/app.js';
import { createUser, uniqueEmail } from '../testkit/seed.js';
import { eventually, subscribe, wsClient, type WsClient } from '../testkit/subscriptions.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Under the relay's 5 s poll with Redis: a refusal inside it came through Redis. */
const WITHIN_MS = 4_000;

describe.runIf(databaseUrl())('two instances with Redis', () => {
  let a: TestApp;
  let b: TestApp;
  const sockets: WsClient[] = [];

  beforeAll(async () => {
    a = await startTestApp({ env: { REDIS_URL } });
    b = await startTestApp({ env: { REDIS_URL } });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await b?.stop();
    await a?.stop();
  });

  it('a suspension on one instance refuses both sessions and closes the subscription on the other', async () => {
    const password = 'a-password-123';
    const user = await createUser(a.admin, { role: 'VIEWER', password });
    const login = async (app: TestApp) => (await app.anonymous.execute(LoginWithRefreshDocument, { email: user.email, password })).expectData().login;
    const [one, two] = [await login(a), await login(b)];
    const tokens = [one.accessToken, two.accessToken];
    // Both instances see (and cache) both sessions as live.
    for (const app of [a, b]) for (const token of tokens) (await app.anonymous.withToken(token).execute(MeDocument)).expectData();
    const ws = wsClient(b.wsUrl, two.accessToken);
    sockets.push(ws);
    const before = b.app.services.events.subscriberCount;
    const sub = subscribe(ws, OnUserCreatedDocument);
    await eventually(() => b.app.services.events.subscriberCount > before, 5_000, 'the subscription to start');
    const created = await createUser(a.admin, { email: uniqueEmail() });
    await sub.waitUntil((r) => r.some((e) => e.userCreated.userId === created.id));

    (await a.admin.execute(SuspendUserDocument, { id: user.id, reason: 'cross-instance' })).expectData();
    const refused = async (app: TestApp, token: string) =>
      (await app.anonymous.withToken(token).execute(MeDocument)).body.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED';
    await eventually(async () => (await refused(b, tokens[0]!)) && (await refused(b, tokens[1]!)), WITHIN_MS, 'instance b to refuse both tokens');
    const closed = await Promise.race([ws.closed, new Promise<null>((r) => setTimeout(() => r(null), WITHIN_MS))]);
    expect(closed?.code).toBe(4401);
    expect(await refused(a, tokens[1]!)).toBe(true);
  });
});
