// /api/webhooks: the webhook endpoints and their delivery log over REST, ADMIN only. Thin like
// webhook.resolver.ts: decode (webhook.schema.ts), call the same WebhookService method, encode.
import type { DeliveryRecord, WebhookRecord } from '../webhooks/webhook.repository.js';
import { route, type RestKit } from './rest.operation.js';
import {
  createWebhookBody,
  deliveriesQuery,
  deliveryPageSchema,
  updateWebhookBody,
  webhookIdParams,
  webhookListSchema,
  webhookSchema,
  webhookWithSecretSchema,
} from './webhook.schema.js';

const TAG = 'webhooks';

export function webhookRoutes(kit: RestKit): void {
  const { services } = kit;

  route(
    kit,
    {
      method: 'get',
      path: '/api/webhooks',
      operationId: 'listWebhooks',
      summary: 'Every webhook endpoint, oldest first (secrets are never shown)',
      tag: TAG,
      permission: 'webhooks.manage',
      responses: { 200: { description: 'The endpoints.', schema: webhookListSchema } },
      errors: [],
    },
    async ({ principal, res }) => {
      res.set('cache-control', 'no-store').json({ data: (await services.webhooks.list(principal)).map(encodeWebhook) });
    },
  );

  route(
    kit,
    {
      method: 'post',
      path: '/api/webhooks',
      operationId: 'createWebhook',
      summary: 'Register an endpoint; answers its signing secret, once',
      tag: TAG,
      permission: 'webhooks.manage',
      body: createWebhookBody,
      responses: { 201: { description: 'Registered; Location names it.', schema: webhookWithSecretSchema } },
      errors: [422],
    },
    async ({ principal, body, res }) => {
      const created = await services.webhooks.create(principal, body);
      res.status(201).set({ location: `/api/webhooks/${created.webhook.id}`, 'cache-control': 'no-store' });
      res.json({ webhook: encodeWebhook(created.webhook), secret: created.secret });
    },
  );

  route(
    kit,
    {
      method: 'get',
      path: '/api/webhooks/:id',
      operationId: 'getWebhook',
      summary: 'One webhook endpoint',
      tag: TAG,
      permission: 'webhooks.manage',
      params: webhookIdParams,
      responses: { 200: { description: 'The endpoint.', schema: webhookSchema } },
      errors: [404],
    },
    async ({ principal, params, res }) => {
      res.set('cache-control', 'no-store').json(encodeWebhook(await services.webhooks.get(principal, params.id)));
    },
  );

  route(
    kit,
    {
      method: 'patch',
      path: '/api/webhooks/:id',
      operationId: 'updateWebhook',
      summary: 'Change an endpoint, re-enable it, or replay from a sequence',
      tag: TAG,
      permission: 'webhooks.manage',
      params: webhookIdParams,
      body: updateWebhookBody,
      responses: { 200: { description: 'The endpoint.', schema: webhookSchema } },
      errors: [404, 422],
    },
    async ({ principal, params, body, res }) => {
      res.set('cache-control', 'no-store').json(encodeWebhook(await services.webhooks.update(principal, params.id, body)));
    },
  );

  route(
    kit,
    {
      method: 'delete',
      path: '/api/webhooks/:id',
      operationId: 'deleteWebhook',
      summary: 'Remove an endpoint and its delivery log',
      tag: TAG,
      permission: 'webhooks.manage',
      params: webhookIdParams,
      responses: { 204: { description: 'Removed.' } },
      errors: [404],
    },
    async ({ principal, params, res }) => {
      await services.webhooks.delete(principal, params.id);
      res.status(204).end();
    },
  );

  route(
    kit,
    {
      method: 'post',
      path: '/api/webhooks/:id/rotate-secret',
      operationId: 'rotateWebhookSecret',
      summary: 'Replace the signing secret; answers the new one, once',
      tag: TAG,
      permission: 'webhooks.manage',
      params: webhookIdParams,
      responses: { 200: { description: 'The endpoint and its new secret.', schema: webhookWithSecretSchema } },
      errors: [404],
    },
    async ({ principal, params, res }) => {
      const rotated = await services.webhooks.rotateSecret(principal, params.id);
      res.set('cache-control', 'no-store').json({ webhook: encodeWebhook(rotated.webhook), secret: rotated.secret });
    },
  );

  route(
    kit,
    {
      method: 'get',
      path: '/api/webhooks/:id/deliveries',
      operationId: 'listWebhookDeliveries',
      summary: "An endpoint's delivery attempts, newest first",
      tag: TAG,
      permission: 'webhooks.manage',
      params: webhookIdParams,
      query: deliveriesQuery,
      responses: { 200: { description: 'One page of attempts.', schema: deliveryPageSchema } },
      errors: [404],
      renameField: (field) => ({ first: 'limit', after: 'cursor' })[field] ?? field,
    },
    async ({ principal, params, query, res }) => {
      const limit = query.limit ?? 20;
      const page = await services.webhooks.deliveries(principal, {
        webhookId: params.id,
        status: query.status ?? null,
        first: limit,
        after: query.cursor ?? null,
      });
      res.set('cache-control', 'no-store').json({
        data: page.deliveries.map(encodeDelivery),
        pagination: {
          limit,
          nextCursor: page.hasNextPage ? (page.deliveries.at(-1)?.id.toString() ?? null) : null,
          hasNextPage: page.hasNextPage,
        },
      });
    },
  );
}

function encodeWebhook(w: WebhookRecord) {
  return {
    id: w.id,
    url: w.url,
    eventTypes: w.eventTypes,
    description: w.description,
    enabled: w.enabled,
    disabledReason: w.disabledReason,
    disabledAt: w.disabledAt?.toISOString() ?? null,
    lastDeliveredSequence: w.lastDeliveredSeq.toString(),
    consecutiveFailures: w.consecutiveFailures,
    failingSince: w.failingSince?.toISOString() ?? null,
    nextAttemptAt: w.nextAttemptAt?.toISOString() ?? null,
    createdAt: w.createdAt.toISOString(),
    updatedAt: w.updatedAt.toISOString(),
  };
}

function encodeDelivery(d: DeliveryRecord) {
  return {
    id: d.id.toString(),
    eventId: d.eventId,
    eventSequence: d.eventSequence.toString(),
    eventType: d.eventType,
    attempt: d.attempt,
    status: d.succeeded ? 'SUCCEEDED' : 'FAILED',
    statusCode: d.statusCode,
    durationMs: d.durationMs,
    error: d.error,
    createdAt: d.createdAt.toISOString(),
  };
}
