// Outbound webhooks, as an admin and a receiving service see them: a real receiver (node:http on
// localhost) verifies every request with the `standardwebhooks` package. Small backoff values
// (WEBHOOK_RETRY_BASE/MAX) keep retries fast. Each app has a database of its own: on a shared
// PostgreSQL database, other test files' servers would deliver these endpoints too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testkit/app.js';
import type { GraphQLClient } from '../testkit/graphql.js';
import { clientFor, createUser } from '../testkit/seed.js';
import { verifies, WebhookReceiver } from '../testkit/webhook-receiver.js';

const FAST_RETRIES = { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_BASE: '50ms', WEBHOOK_RETRY_MAX: '200ms' };
const METRICS_TOKEN = 'webhook-metrics-token-0123456789';
const WEBHOOK_FIELDS = 'id url eventTypes enabled disabledReason lastDeliveredSequence consecutiveFailures';

interface WebhookView {
  id: string;
  url: string;
  eventTypes: string[];
  enabled: boolean;
  disabledReason: string | null;
  lastDeliveredSequence: string;
  consecutiveFailures: number;
}

interface DeliveryView {
  eventId: string;
  eventSequence: string;
  attempt: number;
  status: 'SUCCEEDED' | 'FAILED';
  statusCode: number | null;
  error: string | null;
}

let t: TestApp;
let fragile: TestApp;
let strict: TestApp;
const logs: string[] = [];
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  [t, fragile, strict] = await Promise.all([
    startTestApp({ isolated: true, env: { ...FAST_RETRIES, WEBHOOK_MAX_FAILURES: '1000', METRICS_TOKEN }, log: { level: 'debug', write: (line) => void logs.push(line) } }),
    startTestApp({ isolated: true, env: { ...FAST_RETRIES, WEBHOOK_MAX_FAILURES: '3' } }),
    startTestApp({ isolated: true }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([t?.stop(), fragile?.stop(), strict?.stop()]);
  await Promise.all(receivers.map((r) => r.stop()));
});

async function receiver(): Promise<WebhookReceiver> {
  const r = new WebhookReceiver();
  await r.start();
  receivers.push(r);
  return r;
}

async function register(admin: GraphQLClient, url: string, eventTypes = ['USER_CREATED']): Promise<{ webhook: WebhookView; secret: string }> {
  const result = await admin.execute<{ createWebhook: { webhook: WebhookView; secret: string } }>(
    `mutation($url: String!, $types: [String!]!) { createWebhook(url: $url, eventTypes: $types, description: "test") { secret webhook { ${WEBHOOK_FIELDS} } } }`,
    { url, types: eventTypes },
  );
  return result.expectData().createWebhook;
}

async function deliveries(admin: GraphQLClient, webhookId: string, status?: 'SUCCEEDED' | 'FAILED'): Promise<DeliveryView[]> {
  const all: DeliveryView[] = [];
  let after: string | null = null;
  for (;;) {
    const page: { edges: { node: DeliveryView }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } = (
      await admin.execute<{ webhookDeliveries: typeof page }>(
        'query($id: ID!, $status: WebhookDeliveryStatus, $after: String) { webhookDeliveries(webhookId: $id, status: $status, first: 2, after: $after) { edges { node { eventId eventSequence attempt status statusCode error } } pageInfo { hasNextPage endCursor } } }',
        { id: webhookId, status, after },
      )
    ).expectData().webhookDeliveries;
    all.push(...page.edges.map((e) => e.node));
    if (!page.pageInfo.hasNextPage) return all.reverse(); // oldest first
    after = page.pageInfo.endCursor;
  }
}

async function webhook(admin: GraphQLClient, id: string): Promise<WebhookView> {
  const list = (await admin.execute<{ webhooks: WebhookView[] }>(`{ webhooks { ${WEBHOOK_FIELDS} } }`)).expectData().webhooks;
  return list.find((w) => w.id === id)!;
}

async function update(admin: GraphQLClient, id: string, input: Record<string, unknown>): Promise<WebhookView> {
  return (
    await admin.execute<{ updateWebhook: WebhookView }>(`mutation($id: ID!, $input: UpdateWebhookInput!) { updateWebhook(id: $id, input: $input) { ${WEBHOOK_FIELDS} } }`, { id, input })
  ).expectData().updateWebhook;
}

/** The emails of the USER_CREATED bodies delivered (2xx and verified), in arrival order. */
function emails(r: WebhookReceiver, secret: string): string[] {
  return r.delivered(secret).map((d) => d.json.email as string);
}

describe('delivery', () => {
  it('sends a signed user.created within a second of the mutation; the secret is shown once', async () => {
    const r = await receiver();
    const { webhook: created, secret } = await register(t.admin, r.url);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(created.enabled).toBe(true);

    // Three in a row, each within a second: the 5 s safety-net tick alone would not do that.
    let user = await createUser(t.admin);
    for (let i = 1; i <= 3; i++) {
      const started = Date.now();
      user = await createUser(t.admin);
      await r.until(() => r.received.some((x) => x.json.email === user.email), 2_000, 'user.created');
      expect(r.received.find((x) => x.json.email === user.email)!.at - started).toBeLessThan(1_000);
    }
    const got = r.received.find((x) => x.json.email === user.email);
    expect(verifies(secret, got!)).toBe(true);
    expect(verifies(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, got!)).toBe(false);
    expect(got!.headers['content-type']).toBe('application/json');
    expect(got!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    // The body is the event as subscriptions see it; webhook-id is the event id.
    expect(got!.json).toMatchObject({ type: 'USER_CREATED', userId: user.id, email: user.email });
    expect(got!.headers['webhook-id']).toBe(got!.json.id);

    // Never again: not in the listing, and not in any log line.
    const listed = JSON.stringify((await t.admin.execute('{ webhooks { id url eventTypes description enabled lastDeliveredSequence } }')).expectData());
    expect(listed).toContain(created.id);
    expect(listed).not.toContain(secret.slice(6));
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.filter((line) => line.includes(secret.slice(6)))).toEqual([]);
  });

  it('retries a receiver that fails the first attempts, then delivers every event in order; the log shows the retries', async () => {
    const r = await receiver();
    r.respond = (n) => (n < 2 ? 500 : 200);
    const { webhook: created, secret } = await register(t.admin, r.url);
    const users = [];
    for (let i = 0; i < 3; i++) users.push(await createUser(t.admin));
    await r.until(() => r.delivered(secret).length >= 3, 10_000);
    expect(emails(r, secret)).toEqual(users.map((u) => u.email));
    // The two failures were the same event (order: nothing passes a failed event), sent again with the same id.
    expect(new Set(r.received.slice(0, 3).map((x) => x.headers['webhook-id'])).size).toBe(1);

    // The receiver answers before the sender records the attempt: wait for the log to catch up.
    let log = await deliveries(t.admin, created.id);
    for (let i = 0; i < 100 && log.length < 5; i++) {
      await new Promise((res) => setTimeout(res, 50));
      log = await deliveries(t.admin, created.id);
    }
    expect(log.map((d) => [d.attempt, d.status, d.statusCode])).toEqual([
      [1, 'FAILED', 500],
      [2, 'FAILED', 500],
      [3, 'SUCCEEDED', 200],
      [1, 'SUCCEEDED', 200],
      [1, 'SUCCEEDED', 200],
    ]);
    expect((await deliveries(t.admin, created.id, 'FAILED')).map((d) => d.error)).toEqual(['HTTP 500', 'HTTP 500']);
    const after = await webhook(t.admin, created.id);
    expect(after.consecutiveFailures).toBe(0);
    expect(after.lastDeliveredSequence).toBe(log.at(-1)!.eventSequence);
  });

  it('keeps the events of a receiver that is down and sends them in order, without loss, once it is back', async () => {
    const r = await receiver();
    const { webhook: created, secret } = await register(t.admin, r.url);
    await r.stop();
    const users = [];
    for (let i = 0; i < 4; i++) users.push(await createUser(t.admin));
    // Refused connections are recorded as failed attempts (no status).
    for (let i = 0; i < 100 && (await deliveries(t.admin, created.id, 'FAILED')).length < 2; i++) await new Promise((res) => setTimeout(res, 50));
    const failed = await deliveries(t.admin, created.id, 'FAILED');
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(failed[0]).toMatchObject({ statusCode: null, error: 'ECONNREFUSED' });

    await r.start();
    await r.until(() => r.delivered(secret).length >= 4, 10_000);
    expect(emails(r, secret)).toEqual(users.map((u) => u.email));
  });

  it('counts attempts by outcome and shows the lag in /metrics', async () => {
    const text = await (await fetch(t.url.replace(/\/graphql$/, '/metrics'), { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    const count = (outcome: string) => Number(new RegExp(`^webhook_deliveries_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    // The tests above: deliveries, two HTTP 500s, refused connections.
    expect(count('delivered')).toBeGreaterThanOrEqual(8);
    expect(count('http_error')).toBeGreaterThanOrEqual(2);
    expect(count('network_error')).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/^webhook_lag_seconds \d/m);
  });

  it('sends only the event types the endpoint asked for', async () => {
    const r = await receiver();
    const { secret } = await register(t.admin, r.url, ['USER_DELETED']);
    const user = await createUser(t.admin);
    (await t.admin.execute('mutation($id: ID!) { deleteUser(id: $id) { id } }', { id: user.id })).expectData();
    await r.until(() => r.delivered(secret).length >= 1);
    expect(r.received.map((x) => x.json.type)).toEqual(['USER_DELETED']);
  });
});

describe('failures, disabling and replay', () => {
  it('disables an endpoint after WEBHOOK_MAX_FAILURES failures, records WEBHOOK_DISABLED, and resumes or replays when re-enabled', async () => {
    const r = await receiver();
    r.respond = () => 503;
    const { webhook: created, secret } = await register(fragile.admin, r.url);
    const first = await createUser(fragile.admin);
    await r.until(() => r.received.length >= 3);
    for (let i = 0; i < 100 && (await webhook(fragile.admin, created.id)).enabled; i++) await new Promise((res) => setTimeout(res, 50));
    const disabled = await webhook(fragile.admin, created.id);
    expect(disabled).toMatchObject({ enabled: false, disabledReason: 'MAX_FAILURES', consecutiveFailures: 3 });
    await new Promise((res) => setTimeout(res, 300));
    expect(r.received).toHaveLength(3);

    const event = (
      await fragile.admin.execute<{ userEventLog: { edges: { node: { type: string; webhookId?: string; reason?: string; consecutiveFailures?: number } }[] } }>(
        '{ userEventLog(types: [WEBHOOK_DISABLED], first: 10) { edges { node { type ... on WebhookDisabled { webhookId reason consecutiveFailures disabledBy } } } } }',
      )
    ).expectData().userEventLog.edges.map((e) => e.node);
    expect(event).toContainEqual(expect.objectContaining({ type: 'WEBHOOK_DISABLED', webhookId: created.id, reason: 'MAX_FAILURES', consecutiveFailures: 3 }));

    // Events while disabled are kept; re-enabling resumes after the last delivered one: the failed event first.
    const second = await createUser(fragile.admin);
    r.respond = () => 200;
    const resumed = await update(fragile.admin, created.id, { enabled: true });
    expect(resumed).toMatchObject({ enabled: true, disabledReason: null, consecutiveFailures: 0 });
    await r.until(() => r.delivered(secret).length >= 2);
    expect(emails(r, secret)).toEqual([first.email, second.email]);

    // Replay: every matching event after the given sequence, again.
    const log = await deliveries(fragile.admin, created.id, 'SUCCEEDED');
    const firstSequence = log[0]!.eventSequence;
    await update(fragile.admin, created.id, { replayFromSequence: (BigInt(firstSequence) - 1n).toString() });
    await r.until(() => r.delivered(secret).length >= 4);
    expect(emails(r, secret)).toEqual([first.email, second.email, first.email, second.email]);
  });

  it('refuses a replay point past the newest event, and an unknown endpoint', async () => {
    const r = await receiver();
    const { webhook: created } = await register(fragile.admin, r.url);
    const error = (
      await fragile.admin.execute('mutation($id: ID!) { updateWebhook(id: $id, input: { replayFromSequence: "999999999999" }) { id } }', { id: created.id })
    ).expectError('BAD_USER_INPUT');
    expect(error.extensions?.fields?.[0]?.field).toBe('replayFromSequence');
    (await fragile.admin.execute('mutation { deleteWebhook(id: "00000000-0000-4000-8000-000000000000") }')).expectError('WEBHOOK_NOT_FOUND');
    expect((await fragile.admin.execute<{ deleteWebhook: boolean }>('mutation($id: ID!) { deleteWebhook(id: $id) }', { id: created.id })).expectData().deleteWebhook).toBe(true);
    (await fragile.admin.execute('query($id: ID!) { webhookDeliveries(webhookId: $id) { edges { cursor } } }', { id: created.id })).expectError('WEBHOOK_NOT_FOUND');
  });
});

describe('secrets', () => {
  it('rotateWebhookSecret returns a new secret once; the next delivery is signed with it, not the old one', async () => {
    const r = await receiver();
    const { webhook: created, secret: old } = await register(t.admin, r.url);
    const rotated = (
      await t.admin.execute<{ rotateWebhookSecret: { secret: string; webhook: { id: string } } }>('mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret webhook { id } } }', {
        id: created.id,
      })
    ).expectData().rotateWebhookSecret;
    expect(rotated.webhook.id).toBe(created.id);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(old);
    await createUser(t.admin);
    await r.until(() => r.received.length >= 1);
    expect(verifies(rotated.secret, r.received[0]!)).toBe(true);
    expect(verifies(old, r.received[0]!)).toBe(false);
    expect(logs.filter((line) => line.includes(rotated.secret.slice(6)))).toEqual([]);
  });
});

describe('validation and access', () => {
  it('names an unknown event type', async () => {
    const error = (
      await t.admin.execute('mutation { createWebhook(url: "https://93.184.215.14/x", eventTypes: ["USER_CREATED", "USER_EXPLODED"]) { secret } }')
    ).expectError('BAD_USER_INPUT');
    expect(error.extensions?.fields?.map((f) => f.field)).toEqual(['eventTypes.1']);
    expect(error.extensions?.fields?.[0]?.message).toContain('"USER_EXPLODED" is not an event type');
  });

  it.each([
    ['a private address', 'https://10.1.2.3/hook', 'not a public address'],
    ['loopback', 'https://127.0.0.1/hook', 'not a public address'],
    ['link-local (cloud metadata)', 'https://169.254.169.254/latest/meta-data', 'not a public address'],
    ['CGNAT', 'https://100.64.0.1/hook', 'not a public address'],
    ['IPv6 loopback', 'https://[::1]/hook', 'not a public address'],
    ['IPv4-mapped IPv6', 'https://[::ffff:10.0.0.1]/hook', 'not a public address'],
    ['IPv6 unique local', 'https://[fd00::1]/hook', 'not a public address'],
    ['plain http', 'http://93.184.215.14/hook', 'must use https'],
    ['http to localhost with WEBHOOK_ALLOW_PRIVATE off', 'http://localhost:8080/hook', 'must use https'],
    ['credentials in the URL', 'https://user:pw@93.184.215.14/hook', 'credentials'],
    ['another scheme', 'ftp://93.184.215.14/hook', 'must use https'],
  ])('refuses %s with WEBHOOK_URL_REFUSED', async (_name, url, reason) => {
    const error = (await strict.admin.execute('mutation($url: String!) { createWebhook(url: $url, eventTypes: ["USER_CREATED"]) { secret } }', { url })).expectError(
      'WEBHOOK_URL_REFUSED',
    );
    expect(error.extensions?.field).toBe('url');
    expect(String(error.extensions?.reason)).toContain(reason);
  });

  it('accepts a public https address when the flag is off, and refuses http to a non-localhost host when it is on', async () => {
    const ok = (await strict.admin.execute('mutation { createWebhook(url: "https://93.184.215.14/hook", eventTypes: ["USER_CREATED"]) { webhook { id } } }')).expectData();
    expect(ok).toBeTruthy();
    (await t.admin.execute('mutation { createWebhook(url: "http://93.184.215.14/hook", eventTypes: ["USER_CREATED"]) { secret } }')).expectError('WEBHOOK_URL_REFUSED');
    const moved = await register(strict.admin, 'https://93.184.215.14/elsewhere');
    (await strict.admin.execute('mutation($id: ID!) { updateWebhook(id: $id, input: { url: "https://192.168.1.1/" }) { id } }', { id: moved.webhook.id })).expectError(
      'WEBHOOK_URL_REFUSED',
    );
    // Disable them: nothing answers at that address here.
    for (const id of [moved.webhook.id, (ok as { createWebhook: { webhook: { id: string } } }).createWebhook.webhook.id]) await update(strict.admin, id, { enabled: false });
  });

  it('refuses every webhook field to a VIEWER and to an anonymous caller', async () => {
    const { client: viewer } = await clientFor(strict.admin, 'VIEWER');
    for (const operation of [
      '{ webhooks { id } }',
      '{ webhookDeliveries(webhookId: "00000000-0000-4000-8000-000000000000") { edges { cursor } } }',
      'mutation { createWebhook(url: "https://93.184.215.14/x", eventTypes: ["USER_CREATED"]) { secret } }',
      'mutation { rotateWebhookSecret(id: "00000000-0000-4000-8000-000000000000") { secret } }',
      'mutation { deleteWebhook(id: "00000000-0000-4000-8000-000000000000") }',
    ]) {
      (await viewer.execute(operation)).expectError('FORBIDDEN');
      (await strict.anonymous.execute(operation)).expectError('UNAUTHENTICATED');
    }
  });
});
