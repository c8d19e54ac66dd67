// Thin: webhook endpoints and their delivery log. Rules live in WebhookService.
import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { Authorized } from '../auth/auth.checker.js';
import { principalOf, type Context } from '../http/context.js';
import type { DeliveryRecord, WebhookRecord } from './webhook.repository.js';
import type { WebhookWithSecret as WebhookWithSecretData } from './webhook.service.js';
import { UpdateWebhookInput, WebhookDeliveriesArgs } from './webhook.input.js';
import { Webhook, WebhookDelivery, WebhookDeliveryConnection, WebhookWithSecret } from './webhook.type.js';

@Resolver()
export class WebhookResolver {
  @Authorized('webhooks.manage')
  @Query(() => [Webhook], { description: 'Every webhook endpoint, oldest first. Secrets are never shown.' })
  async webhooks(@Ctx() ctx: Context): Promise<Webhook[]> {
    return (await ctx.services.webhooks.list(principalOf(ctx))).map(toWebhook);
  }

  @Authorized('webhooks.manage')
  @Query(() => WebhookDeliveryConnection, { description: "An endpoint's delivery attempts, newest first." })
  async webhookDeliveries(@Args() args: WebhookDeliveriesArgs, @Ctx() ctx: Context): Promise<WebhookDeliveryConnection> {
    const page = await ctx.services.webhooks.deliveries(principalOf(ctx), args);
    const edges = page.deliveries.map((d) => ({ cursor: d.id.toString(), node: toDelivery(d) }));
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  @Authorized('webhooks.manage')
  @Mutation(() => WebhookWithSecret, {
    description: 'Registers an endpoint for the given event types; it receives matching events committed from now on. Returns the signing secret, once. WEBHOOK_URL_REFUSED for a URL the SSRF guard refuses.',
  })
  async createWebhook(
    @Arg('url') url: string,
    @Arg('eventTypes', () => [String], { description: 'UserEventType names, e.g. ["USER_CREATED", "USER_UPDATED"].' }) eventTypes: string[],
    @Arg('description', () => String, { nullable: true }) description: string | null,
    @Ctx() ctx: Context,
  ): Promise<WebhookWithSecret> {
    return toWithSecret(await ctx.services.webhooks.create(principalOf(ctx), { url, eventTypes, description }));
  }

  @Authorized('webhooks.manage')
  @Mutation(() => Webhook, { description: 'Changes an endpoint; re-enables it (resuming after its last delivered event) or replays from a sequence.' })
  async updateWebhook(@Arg('id', () => ID) id: string, @Arg('input', () => UpdateWebhookInput) input: UpdateWebhookInput, @Ctx() ctx: Context): Promise<Webhook> {
    return toWebhook(await ctx.services.webhooks.update(principalOf(ctx), id, input));
  }

  @Authorized('webhooks.manage')
  @Mutation(() => Boolean, { description: 'Removes an endpoint and its delivery log.' })
  deleteWebhook(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.webhooks.delete(principalOf(ctx), id);
  }

  @Authorized('webhooks.manage')
  @Mutation(() => WebhookWithSecret, { description: 'Replaces the signing secret, effective for the next attempt. Returns the new secret, once.' })
  async rotateWebhookSecret(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<WebhookWithSecret> {
    return toWithSecret(await ctx.services.webhooks.rotateSecret(principalOf(ctx), id));
  }
}

function toWebhook(w: WebhookRecord): Webhook {
  return { ...w, lastDeliveredSequence: w.lastDeliveredSeq.toString() };
}

function toWithSecret(w: WebhookWithSecretData): WebhookWithSecret {
  return { webhook: toWebhook(w.webhook), secret: w.secret };
}

function toDelivery(d: DeliveryRecord): WebhookDelivery {
  return { ...d, id: d.id.toString(), eventSequence: d.eventSequence.toString(), status: d.succeeded ? 'SUCCEEDED' : 'FAILED' };
}
