// Webhook endpoints as admins manage them: the rules for registering, changing, replaying and
// removing an endpoint, and reading its delivery log. GraphQL (webhook.resolver.ts) and the REST
// routes call these methods and nothing else. Delivery itself is webhook.dispatcher.ts.
import { assertCan } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';
import type { Clock } from '../clock.js';
import { BadUserInputError, WebhookNotFoundError } from '../errors.js';
import type { EventsService } from '../events/event.service.js';
import { parseSequence, USER_EVENT_TYPES, type UserEvent } from '../events/user-event.model.js';
import type { EventRecorder } from '../events/user-event.repository.js';
import { assertUuid } from '../users/user.validation.js';
import type { WebhookDispatcher } from './webhook.dispatcher.js';
import type { DeliveryRecord, WebhookChanges, WebhookRecord, WebhookRepository } from './webhook.repository.js';
import { newWebhookSecret } from './webhook.signer.js';
import type { WebhookUrlGuard } from './webhook.url-guard.js';

export const MAX_DESCRIPTION = 500;
export const DEFAULT_DELIVERY_PAGE = 20;
export const MAX_DELIVERY_PAGE = 100;

export interface CreateWebhookArgs {
  url: string;
  eventTypes: string[];
  description?: string | null | undefined;
}

export interface UpdateWebhookArgs {
  url?: string | null | undefined;
  eventTypes?: string[] | null | undefined;
  /** null clears it. */
  description?: string | null | undefined;
  enabled?: boolean | null | undefined;
  /** Deliver again every matching event after this sequence (a decimal string, as events show it). */
  replayFromSequence?: string | null | undefined;
}

/** An endpoint with its signing secret: only what create and rotate return, once. */
export interface WebhookWithSecret {
  webhook: WebhookRecord;
  secret: string;
}

export type DeliveryStatus = 'SUCCEEDED' | 'FAILED';

export interface DeliveryPageArgs {
  webhookId: string;
  status?: DeliveryStatus | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}

export interface DeliveryPage {
  deliveries: DeliveryRecord[];
  hasNextPage: boolean;
}

export class WebhookService {
  constructor(
    private readonly repository: WebhookRepository,
    private readonly recorder: EventRecorder,
    private readonly events: EventsService,
    private readonly guard: WebhookUrlGuard,
    private readonly dispatcher: WebhookDispatcher | undefined,
    private readonly clock: Clock,
  ) {}

  list(principal: Principal): Promise<WebhookRecord[]> {
    assertCan(principal, 'webhooks.manage');
    return this.repository.list();
  }

  async get(principal: Principal, id: string): Promise<WebhookRecord> {
    assertCan(principal, 'webhooks.manage');
    return (await this.repository.find(assertUuid(id, 'id'))) ?? notFound(id);
  }

  /** Registers an endpoint; it receives matching events committed from now on. The secret is shown here only. */
  async create(principal: Principal, args: CreateWebhookArgs): Promise<WebhookWithSecret> {
    const caller = assertCan(principal, 'webhooks.manage');
    const eventTypes = checkEventTypes(args.eventTypes, 'eventTypes');
    const description = checkDescription(args.description);
    const url = (await this.guard.check('url', args.url)).toString();
    const secret = newWebhookSecret();
    const webhook = await this.repository.create({ url, eventTypes, description, secret, actor: caller.userId });
    // An idle dispatcher (no enabled endpoint) skips event wake-ups until it looks again: now.
    this.dispatcher?.wake();
    return { webhook, secret };
  }

  /**
   * Changes an endpoint. `enabled: true` resumes a disabled one after its last delivered event (or
   * after `replayFromSequence`), with the failure run forgotten; `enabled: false` stops it
   * (recorded as WEBHOOK_DISABLED, reason MANUAL). `replayFromSequence` alone rewinds the cursor.
   */
  async update(principal: Principal, id: string, args: UpdateWebhookArgs): Promise<WebhookRecord> {
    const caller = assertCan(principal, 'webhooks.manage');
    const webhookId = assertUuid(id, 'id');
    const changes: WebhookChanges = {};
    if (args.url != null) changes.url = (await this.guard.check('url', args.url)).toString();
    if (args.eventTypes != null) changes.eventTypes = checkEventTypes(args.eventTypes, 'eventTypes');
    if (args.description !== undefined) changes.description = checkDescription(args.description);
    if (args.replayFromSequence != null) changes.lastDeliveredSeq = await this.replayPoint(args.replayFromSequence);
    const now = this.clock.now();
    const recorded = await this.repository.transaction(async (tx): Promise<{ webhook: WebhookRecord | null; events: UserEvent[] }> => {
      const before = await this.repository.find(webhookId, tx);
      if (!before) return { webhook: null, events: [] };
      if (args.enabled != null && args.enabled !== before.enabled) {
        changes.enabled = args.enabled;
        // Re-enabling starts a new run: no backoff pending, no failures counted, no window open.
        if (args.enabled) changes.resetFailures = true;
      }
      if (changes.lastDeliveredSeq !== undefined) changes.resetFailures = true;
      const webhook = await this.repository.update(tx, webhookId, changes, caller.userId, now);
      if (!webhook || changes.enabled !== false) return { webhook, events: [] };
      const events = await this.events.record(tx, {
        type: 'WEBHOOK_DISABLED',
        actor: caller.userId,
        payload: { webhookId, reason: 'MANUAL', consecutiveFailures: webhook.consecutiveFailures, lastDeliveredSequence: webhook.lastDeliveredSeq.toString() },
      });
      return { webhook, events };
    });
    if (!recorded.webhook) notFound(id);
    this.events.committed(recorded.events);
    this.dispatcher?.wake();
    return recorded.webhook;
  }

  /** Removes the endpoint and its delivery log. An attempt in flight ends without effect. */
  async delete(principal: Principal, id: string): Promise<boolean> {
    assertCan(principal, 'webhooks.manage');
    if (!(await this.repository.delete(assertUuid(id, 'id')))) notFound(id);
    return true;
  }

  /** A new secret, effective at once (the next attempt is signed with it); shown here only. */
  async rotateSecret(principal: Principal, id: string): Promise<WebhookWithSecret> {
    const caller = assertCan(principal, 'webhooks.manage');
    const webhookId = assertUuid(id, 'id');
    const secret = newWebhookSecret();
    if (!(await this.repository.setSecret(webhookId, secret, caller.userId, this.clock.now()))) notFound(id);
    const webhook = (await this.repository.find(webhookId)) ?? notFound(id);
    this.dispatcher?.wake();
    return { webhook, secret };
  }

  /** Attempts, newest first; `after` is the cursor of the last one seen. */
  async deliveries(principal: Principal, args: DeliveryPageArgs): Promise<DeliveryPage> {
    assertCan(principal, 'webhooks.manage');
    const webhookId = assertUuid(args.webhookId, 'webhookId');
    const first = args.first ?? DEFAULT_DELIVERY_PAGE;
    if (!Number.isInteger(first) || first < 1 || first > MAX_DELIVERY_PAGE) throw BadUserInputError.field('first', `must be between 1 and ${MAX_DELIVERY_PAGE}`);
    let before: bigint | undefined;
    if (args.after != null) {
      if (!/^\d{1,19}$/.test(args.after)) throw BadUserInputError.field('after', 'is not a delivery cursor');
      before = BigInt(args.after);
    }
    if (!(await this.repository.find(webhookId))) notFound(args.webhookId);
    const succeeded = args.status == null ? undefined : args.status === 'SUCCEEDED';
    const rows = await this.repository.deliveries({ webhookId, succeeded, before, limit: first + 1 });
    return { deliveries: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  /** A replay point: a sequence the log has reached (0 replays everything still kept). */
  private async replayPoint(text: string): Promise<bigint> {
    const sequence = parseSequence(text);
    if (sequence === undefined) throw BadUserInputError.field('replayFromSequence', 'must be an event sequence (a non-negative integer)');
    const newest = await this.recorder.maxSequence();
    if (sequence > newest) throw BadUserInputError.field('replayFromSequence', `must not be past the newest event (${newest})`);
    return sequence;
  }
}

function notFound(id: string): never {
  throw new WebhookNotFoundError(id);
}

function checkEventTypes(types: readonly string[], field: string): string[] {
  if (types.length === 0) throw BadUserInputError.field(field, `must name at least one event type (${USER_EVENT_TYPES.join(', ')})`);
  const problems = types.flatMap((type, i) =>
    (USER_EVENT_TYPES as readonly string[]).includes(type) ? [] : [{ field: `${field}.${i}`, message: `"${type.slice(0, 60)}" is not an event type (one of ${USER_EVENT_TYPES.join(', ')})` }],
  );
  if (problems.length) throw new BadUserInputError(problems);
  return [...new Set(types)];
}

function checkDescription(description: string | null | undefined): string | null {
  if (description == null) return null;
  const trimmed = description.trim();
  if (trimmed.length > MAX_DESCRIPTION) throw BadUserInputError.field('description', `must be at most ${MAX_DESCRIPTION} characters`);
  return trimmed === '' ? null : trimmed;
}
