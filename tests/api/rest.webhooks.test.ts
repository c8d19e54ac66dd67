// /api/webhooks over real HTTP: register, read, change, replay, rotate, read the delivery log and
// remove, as an admin would with curl; a receiver verifies what it gets with `standardwebhooks`.
// Every answer is checked against /api/openapi.json (testkit/rest.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { RestClient, RestContract, type RestError } from '../testkit/rest.js';
import { clientFor, createUser } from '../testkit/seed.js';
import { eventually } from '../testkit/subscriptions.js';
import { WebhookReceiver } from '../testkit/webhook-receiver.js';

interface Webhook {
  id: string;
  url: string;
  eventTypes: string[];
  description: string | null;
  enabled: boolean;
  lastDeliveredSequence: string;
}
interface Delivery {
  id: string;
  eventType: string;
  attempt: number;
  status: 'SUCCEEDED' | 'FAILED';
  statusCode: number | null;
}

let t: TestApp;
let admin: RestClient;
let anonymous: RestClient;
const receiver = new WebhookReceiver();

beforeAll(async () => {
  // A database of its own: on a shared PostgreSQL database other files' servers would deliver too.
  t = await startTestApp({
    isolated: true,
    env: { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_BASE: '50ms', WEBHOOK_RETRY_MAX: '200ms' },
  });
  await receiver.start();
  const base = new URL(t.url).origin;
  anonymous = new RestClient(base, await RestContract.load(base));
  admin = anonymous.withToken(t.admin.token);
}, 60_000);
afterAll(async () => {
  await t?.stop();
  await receiver.stop();
});

describe('/api/webhooks', () => {
  it('registers an endpoint (secret once), delivers to it, shows the log, replays, rotates and removes it', async () => {
    // The first attempt fails: the log shows a retry.
    receiver.respond = (n) => (n === 0 ? 503 : 204);
    const created = await admin.post<{ webhook: Webhook; secret: string }>('/api/webhooks', {
      url: receiver.url,
      eventTypes: ['USER_CREATED'],
      description: 'crm',
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/api/webhooks/${created.body.webhook.id}`);
    const { webhook, secret } = created.body;
    expect(secret).toMatch(/^whsec_/);
    expect(webhook).toMatchObject({ url: receiver.url, eventTypes: ['USER_CREATED'], description: 'crm', enabled: true });

    const listed = await admin.get<{ data: Webhook[] }>('/api/webhooks');
    expect(listed.body.data.map((w) => w.id)).toContain(webhook.id);
    expect(listed.text).not.toContain(secret);
    expect((await admin.get<Webhook>(`/api/webhooks/${webhook.id}`)).text).not.toContain(secret);

    const user = await createUser(t.admin, {});
    await receiver.until(() => receiver.delivered(secret).some((r) => r.json.type === 'USER_CREATED'));
    // The attempt is recorded after the receiver has answered: wait for the record, not just the request.
    const readLog = () =>
      admin.get<{ data: Delivery[]; pagination: { hasNextPage: boolean; nextCursor: string | null } }>(`/api/webhooks/${webhook.id}/deliveries?limit=10`);
    await eventually(async () => (await readLog()).body.data.some((d) => d.status === 'SUCCEEDED'), 5_000, 'the successful attempt to be recorded');
    const log = await readLog();
    expect(log.status).toBe(200);
    expect(log.body.data.map((d) => [d.eventType, d.attempt, d.status, d.statusCode])).toEqual([
      ['USER_CREATED', 2, 'SUCCEEDED', 204],
      ['USER_CREATED', 1, 'FAILED', 503],
    ]);
    const failed = await admin.get<{ data: Delivery[] }>(`/api/webhooks/${webhook.id}/deliveries?status=FAILED`);
    expect(failed.body.data.map((d) => d.attempt)).toEqual([1]);
    const paged = await admin.get<{ data: Delivery[]; pagination: { nextCursor: string | null } }>(
      `/api/webhooks/${webhook.id}/deliveries?limit=1`,
    );
    const older = await admin.get<{ data: Delivery[] }>(
      `/api/webhooks/${webhook.id}/deliveries?limit=1&cursor=${paged.body.pagination.nextCursor}`,
    );
    expect(older.body.data.map((d) => d.attempt)).toEqual([1]);

    // Replay from before the user's creation: the same event arrives again.
    const before = receiver.delivered(secret).length;
    const replayed = await admin.request<Webhook>('PATCH', `/api/webhooks/${webhook.id}`, {
      json: { replayFromSequence: '0', description: null },
    });
    expect(replayed.status).toBe(200);
    expect(replayed.body.description).toBeNull();
    await receiver.until(() => receiver.delivered(secret).length > before);
    expect(receiver.delivered(secret).at(-1)!.json).toMatchObject({ type: 'USER_CREATED' });
    expect(JSON.stringify(receiver.delivered(secret).at(-1)!.json)).toContain(user.id);

    const rotated = await admin.post<{ webhook: Webhook; secret: string }>(`/api/webhooks/${webhook.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(secret);
    await createUser(t.admin, {});
    await receiver.until(() => receiver.delivered(rotated.body.secret).length > 0);

    expect((await admin.request('DELETE', `/api/webhooks/${webhook.id}`)).status).toBe(204);
    const gone = await admin.get<RestError>(`/api/webhooks/${webhook.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('WEBHOOK_NOT_FOUND');
  });

  it('names what is wrong: a refused URL, an unknown event type, an unknown field; and is ADMIN only', async () => {
    const refused = await admin.post<RestError>('/api/webhooks', {
      url: 'http://example.com/hooks',
      eventTypes: ['USER_CREATED'],
    });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('WEBHOOK_URL_REFUSED');

    const unknownType = await admin.post<RestError>('/api/webhooks', { url: receiver.url, eventTypes: ['USER_CREATED', 'NOPE'] });
    expect(unknownType.status).toBe(400);
    expect(unknownType.body.code).toBe('BAD_USER_INPUT');
    expect(unknownType.body.message).toContain('NOPE');

    const extra = await admin.post<RestError>('/api/webhooks', {
      url: receiver.url,
      eventTypes: ['USER_CREATED'],
      secret: 'mine',
    });
    expect(extra.status).toBe(400);
    expect(extra.body.details.map((d) => d.path)).toContain('secret');

    const badLimit = await admin.get<RestError>(`/api/webhooks/00000000-0000-4000-8000-000000000000/deliveries?limit=1000`);
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.details.map((d) => d.path)).toEqual(['limit']);

    expect((await anonymous.get<RestError>('/api/webhooks')).status).toBe(401);
    const viewer = await clientFor(t.admin, 'VIEWER');
    const asViewer = admin.withToken(viewer.client.token);
    const forbidden = await asViewer.get<RestError>('/api/webhooks');
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('FORBIDDEN');
  });
});
