// The zod schemas of /api/webhooks: what the routes validate and answer, and (through
// openapi.document.ts) what the document says. The rules (URL guard, known event types, lengths)
// are WebhookService's, shared with GraphQL; these only shape the HTTP messages.
import { z } from 'zod';
import { MAX_DELIVERY_PAGE } from '../webhooks/webhook.service.js';
import { intParam } from './rest.params.js';

const dateTime = z.iso.datetime();
const uuid = z.string().meta({ format: 'uuid' });
const sequence = z.string().regex(/^\d+$/).meta({ description: 'An event sequence number, in decimal (it can exceed 2^53).' });

export const webhookSchema = z
  .object({
    id: uuid,
    url: z.string(),
    eventTypes: z.array(z.string()),
    description: z.string().nullable(),
    enabled: z.boolean(),
    disabledReason: z.string().nullable(),
    disabledAt: dateTime.nullable(),
    lastDeliveredSequence: sequence,
    consecutiveFailures: z.number().int(),
    failingSince: dateTime.nullable(),
    nextAttemptAt: dateTime.nullable(),
    createdAt: dateTime,
    updatedAt: dateTime,
  })
  .strict()
  .meta({ id: 'Webhook', description: 'An endpoint that receives signed user events. Its secret is never part of it.' });

export const webhookWithSecretSchema = z
  .object({
    webhook: webhookSchema,
    secret: z.string().meta({ description: 'The signing secret (whsec_…), shown this once: keep it in the receiver.' }),
  })
  .strict()
  .meta({ id: 'WebhookWithSecret' });

export const webhookListSchema = z
  .object({ data: z.array(webhookSchema) })
  .strict()
  .meta({ id: 'WebhookList' });

export const deliverySchema = z
  .object({
    id: z.string().meta({ description: 'Also the cursor: pass it as `cursor` for older attempts.' }),
    eventId: uuid.meta({ description: 'The webhook-id header of the attempt (the same on every retry).' }),
    eventSequence: sequence,
    eventType: z.string(),
    attempt: z.number().int(),
    status: z.enum(['SUCCEEDED', 'FAILED']),
    statusCode: z.number().int().nullable().meta({ description: "The receiver's HTTP status; null when no answer came." }),
    durationMs: z.number().int(),
    error: z.string().nullable(),
    createdAt: dateTime,
  })
  .strict()
  .meta({ id: 'WebhookDelivery' });

export const deliveryPageSchema = z
  .object({
    data: z.array(deliverySchema),
    pagination: z.object({ limit: z.number().int(), nextCursor: z.string().nullable(), hasNextPage: z.boolean() }).strict(),
  })
  .strict()
  .meta({ id: 'WebhookDeliveryPage' });

export const webhookIdParams = z.object({ id: z.string().meta({ description: 'The webhook id (a UUID).', format: 'uuid' }) });

export const createWebhookBody = z
  .object({
    url: z
      .string()
      .meta({ description: 'https; http to localhost only with WEBHOOK_ALLOW_PRIVATE=true. Checked by the SSRF guard.' }),
    eventTypes: z.array(z.string()).meta({ description: 'Event type names, e.g. ["USER_CREATED", "USER_UPDATED"].' }),
    description: z.string().nullable().optional(),
  })
  .strict()
  .meta({ id: 'CreateWebhook' });

export const updateWebhookBody = z
  .object({
    url: z.string().optional(),
    eventTypes: z.array(z.string()).optional(),
    description: z.string().nullable().optional(),
    enabled: z
      .boolean()
      .optional()
      .meta({
        description: 'true resumes a disabled endpoint after lastDeliveredSequence (or replayFromSequence); false stops it.',
      }),
    replayFromSequence: sequence.optional().meta({ description: 'Send again every matching event after this sequence.' }),
  })
  .strict()
  .meta({ id: 'UpdateWebhook', description: 'Partial: omitted fields stay; description null clears it.' });

export const deliveriesQuery = z
  .object({
    status: z.enum(['SUCCEEDED', 'FAILED'], { error: 'must be SUCCEEDED or FAILED' }).optional(),
    limit: intParam(1, MAX_DELIVERY_PAGE, `Attempts per page, 1–${MAX_DELIVERY_PAGE} (default 20).`).optional(),
    cursor: z.string().optional().meta({ description: 'The nextCursor of the previous page: older attempts.' }),
  })
  .strict();
