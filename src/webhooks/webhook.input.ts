// Arguments of the webhook mutations. Rules (URL guard, event types, lengths) live in
// WebhookService, shared with the REST routes; these classes only shape the GraphQL input.
import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';
import { DeliveryStatusEnum } from './webhook.type.js';

@InputType({ description: 'Only the fields given change; description: null clears it.' })
export class UpdateWebhookInput {
  @Field(() => String, { nullable: true, description: 'Checked by the SSRF guard like createWebhook.' })
  url?: string | null;

  @Field(() => [String], { nullable: true, description: 'Replaces the list (UserEventType names).' })
  eventTypes?: string[] | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'true resumes a disabled endpoint after lastDeliveredSequence (or replayFromSequence), failures forgotten; false stops it (WEBHOOK_DISABLED, reason MANUAL).',
  })
  enabled?: boolean | null;

  @Field(() => String, { nullable: true, description: 'Send again every matching event after this sequence (replay). Must not be past the newest event.' })
  replayFromSequence?: string | null;
}

@ArgsType()
export class WebhookDeliveriesArgs {
  @Field(() => ID)
  webhookId!: string;

  @Field(() => DeliveryStatusEnum, { nullable: true, description: 'Only attempts with this outcome.' })
  status?: 'SUCCEEDED' | 'FAILED' | null;

  @Field(() => Int, { nullable: true, description: '1-100, default 20.' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'The endCursor of the previous page: older attempts.' })
  after?: string | null;
}
