// GraphQL shapes of webhook endpoints and their delivery log. The signing secret appears only on
// WebhookWithSecret, which createWebhook and rotateWebhookSecret return: no field reads it back.
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { asEnum } from '../graphql-enum.js';

export const DeliveryStatusEnum = asEnum(['SUCCEEDED', 'FAILED'] as const);
registerEnumType(DeliveryStatusEnum, { name: 'WebhookDeliveryStatus', description: 'SUCCEEDED: the receiver answered 2xx. FAILED: anything else.' });

@ObjectType({ description: 'An endpoint that receives user events as signed HTTP POSTs (Standard Webhooks).' })
export class Webhook {
  @Field(() => ID) id!: string;
  @Field() url!: string;
  @Field(() => [String], { description: 'The event types it receives (UserEventType names).' }) eventTypes!: string[];
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field() enabled!: boolean;
  @Field(() => String, { nullable: true, description: 'MAX_FAILURES, RETRY_WINDOW or MANUAL; null while enabled.' }) disabledReason!: string | null;
  @Field(() => Date, { nullable: true }) disabledAt!: Date | null;
  @Field({ description: 'Matching events up to this sequence were delivered; the next one after it is sent next.' })
  lastDeliveredSequence!: string;
  @Field(() => Int, { description: 'Failed attempts since the last delivered event.' }) consecutiveFailures!: number;
  @Field(() => Date, { nullable: true, description: 'When the next attempt is due after a failure (backoff); null: as soon as there is an event.' })
  nextAttemptAt!: Date | null;
  @Field(() => Date) createdAt!: Date;
  @Field(() => ID, { nullable: true, description: 'The subject of the admin token that created it.' }) createdBy!: string | null;
  @Field(() => Date) updatedAt!: Date;
}

@ObjectType({ description: 'An endpoint with its signing secret: returned once, by createWebhook and rotateWebhookSecret.' })
export class WebhookWithSecret {
  @Field(() => Webhook) webhook!: Webhook;
  @Field({ description: 'whsec_… (Standard Webhooks). Store it now: it is never shown again.' }) secret!: string;
}

@ObjectType({ description: 'One delivery attempt of one event to one endpoint.' })
export class WebhookDelivery {
  @Field(() => ID) id!: string;
  @Field(() => ID, { description: 'The event id: also the webhook-id header, the same on every retry.' }) eventId!: string;
  @Field() eventSequence!: string;
  @Field() eventType!: string;
  @Field(() => Int, { description: '1 for the first attempt of this event, 2 for its first retry, ...' }) attempt!: number;
  @Field(() => DeliveryStatusEnum) status!: 'SUCCEEDED' | 'FAILED';
  @Field(() => Int, { nullable: true, description: "The receiver's HTTP status; null when none came (timeout, refused, network error)." })
  statusCode!: number | null;
  @Field(() => Int) durationMs!: number;
  @Field(() => String, { nullable: true }) error!: string | null;
  @Field(() => Date) createdAt!: Date;
}

@ObjectType()
export class WebhookDeliveryEdge {
  @Field() cursor!: string;
  @Field(() => WebhookDelivery) node!: WebhookDelivery;
}

@ObjectType()
export class WebhookDeliveryPageInfo {
  @Field() hasNextPage!: boolean;
  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next (older) page.' }) endCursor!: string | null;
}

@ObjectType({ description: 'Delivery attempts, newest first.' })
export class WebhookDeliveryConnection {
  @Field(() => [WebhookDeliveryEdge]) edges!: WebhookDeliveryEdge[];
  @Field(() => WebhookDeliveryPageInfo) pageInfo!: WebhookDeliveryPageInfo;
}
