// The delivery loop: takes committed user events to webhook endpoints, at least once and in
// sequence order per endpoint.
//
// Every instance runs one. A pass claims the lease of endpoints that are due and owe events
// (webhook.repository.ts), then serves each claimed endpoint: reads the matching events after its
// cursor, POSTs them one at a time, and moves the cursor after each 2xx. The first failure ends the
// serving: the attempt is recorded, the backoff set, the lease given up, and the endpoint waits
// (the next attempt is the same event: order is kept by never moving past a failure). A lease is
// renewed while delivering; an instance killed mid-delivery simply stops renewing, and another
// claims the endpoint once the lease has run out and sends the unfinished event again
// (at-least-once: receivers dedupe on `webhook-id`, the event id).
//
// Passes run when an event is delivered in this process (the outbox relay's onUserEvent: own
// commits at once, other instances' through Redis or the relay's poll), when a backoff ends, after
// an endpoint is released (an event committed while it was being served), and on a tick (which also
// picks up endpoints whose holder died).
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { WebhookSettings } from '../config.js';
import { failureLevel } from '../errors.js';
import type { EventsService } from '../events/event.service.js';
import { toGraphQLEvent } from '../events/event.type.js';
import type { UserEvent, UserEventType } from '../events/user-event.model.js';
import type { EventRecorder } from '../events/user-event.repository.js';
import type { Logger } from '../logger.js';
import type { AttemptOutcome } from './webhook.sender.js';
import { WebhookSender } from './webhook.sender.js';
import type { ClaimedWebhook, NewDelivery, WebhookRepository } from './webhook.repository.js';
import { backoffMs, disableReason, retryAfterMs } from './webhook.retry.js';
import { signWebhook } from './webhook.signer.js';
import type { WebhookUrlGuard } from './webhook.url-guard.js';

/** Endpoints served at once by one instance. */
const MAX_CONCURRENT = 8;
/** Events read per page of an endpoint's backlog. */
const PAGE = 50;
/** The safety-net tick, at most (shorter when the lease is: a dead holder's endpoints are taken over promptly). */
const MAX_TICK_MS = 5_000;

/** The body of a delivery: the event as subscriptions see it (event.type.ts), as JSON. */
export function webhookBody(event: UserEvent): string {
  return JSON.stringify(toGraphQLEvent(event));
}

export interface DispatchCounters {
  attempt(outcome: AttemptOutcome): void;
  disabled(): void;
}

export class WebhookDispatcher {
  /** This instance, in lease_owner. */
  readonly owner = `${hostname().slice(0, 40)}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly sender: WebhookSender;
  private readonly serving = new Map<string, Promise<void>>();
  private readonly aborts = new Set<AbortController>();
  private running = false;
  private passing: Promise<void> | undefined;
  private again = false;
  /**
   * No enabled endpoint was found by the last pass: wake-ups from events are skipped (a burst of
   * 300 creates then costs no query at all) until a tick or a change made here finds one again.
   */
  private idle = false;
  private tick: NodeJS.Timeout | undefined;
  private wakeTimer: { at: number; timer: NodeJS.Timeout } | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly repository: WebhookRepository,
    private readonly recorder: EventRecorder,
    private readonly events: EventsService,
    guard: WebhookUrlGuard,
    private readonly settings: WebhookSettings,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly counters: DispatchCounters,
  ) {
    this.sender = new WebhookSender(guard, settings.timeoutMs);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.events.onUserEvent('*', () => {
      if (!this.idle) this.wake();
    });
    const tickMs = Math.min(MAX_TICK_MS, Math.max(100, Math.floor(this.settings.leaseMs / 2)));
    this.tick = setInterval(() => this.wake(), tickMs);
    this.tick.unref();
    this.wake();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    clearInterval(this.tick);
    clearTimeout(this.wakeTimer?.timer);
    for (const abort of this.aborts) abort.abort();
    await this.passing;
    await Promise.allSettled(this.serving.values());
    this.sender.close();
  }

  /** Asks for a pass: now, or right after the running one (wake-ups during a pass coalesce). */
  wake(): void {
    if (!this.running) return;
    if (this.passing) {
      this.again = true;
      return;
    }
    this.passing = this.pass()
      .catch((error: unknown) => this.log[failureLevel(error)]({ err: error }, 'webhook dispatch pass failed'))
      .finally(() => {
        this.passing = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async pass(): Promise<void> {
    const room = MAX_CONCURRENT - this.serving.size;
    if (room > 0) {
      for (const webhook of await this.repository.claim(this.owner, this.settings.leaseMs, room)) {
        if (this.serving.has(webhook.id)) continue;
        const work = this.serve(webhook)
          .catch((error: unknown) => this.log[failureLevel(error)]({ err: error, webhookId: webhook.id }, 'webhook delivery failed'))
          .finally(() => {
            this.serving.delete(webhook.id);
            // Whatever was committed while it was served (and so not claimable) is looked at now.
            this.wake();
          });
        this.serving.set(webhook.id, work);
      }
    }
    this.idle = this.serving.size === 0 && !(await this.repository.anyEnabled());
    if (this.idle) return;
    const next = await this.repository.nextAttemptAt();
    if (next) this.wakeAt(next.getTime());
  }

  private wakeAt(at: number): void {
    if (!this.running || (this.wakeTimer && this.wakeTimer.at <= at && this.wakeTimer.at > Date.now())) return;
    clearTimeout(this.wakeTimer?.timer);
    const timer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.wake();
    }, Math.max(0, at - Date.now()) + 5);
    timer.unref();
    this.wakeTimer = { at, timer };
  }

  /** Delivers the endpoint's backlog in order until it is empty, a failure, or the lease is lost. */
  private async serve(webhook: ClaimedWebhook): Promise<void> {
    const abort = new AbortController();
    this.aborts.add(abort);
    let lost = false;
    const renew = setInterval(() => {
      this.repository.renew(webhook.id, this.owner, this.settings.leaseMs).then(
        (held) => {
          if (!held) {
            lost = true;
            abort.abort();
          }
        },
        (error: unknown) => this.log.warn({ err: error, webhookId: webhook.id }, 'could not renew a webhook lease'),
      );
    }, Math.max(50, Math.floor(this.settings.leaseMs / 3)));
    let cursor = webhook.lastDeliveredSeq;
    let failures = webhook.consecutiveFailures;
    try {
      for (;;) {
        const page = await this.recorder.find({ after: cursor, types: webhook.eventTypes as UserEventType[], limit: PAGE });
        if (page.length === 0) break;
        for (const event of page) {
          if (!this.running || lost) return;
          const outcome = await this.attempt(webhook, event, failures + 1, cursor, abort.signal);
          if (outcome === 'stop') return;
          cursor = event.sequence;
          failures = 0;
        }
      }
    } finally {
      clearInterval(renew);
      this.aborts.delete(abort);
      await this.repository.release(webhook.id, this.owner).catch(() => undefined);
    }
  }

  /** One attempt of one event; 'next' when it was delivered and the cursor moved, else 'stop'. */
  private async attempt(webhook: ClaimedWebhook, event: UserEvent, attempt: number, cursor: bigint, signal: AbortSignal): Promise<'next' | 'stop'> {
    const body = webhookBody(event);
    // The wall clock, not this.clock: receivers compare webhook-timestamp with theirs (5 min tolerance).
    const headers = signWebhook(webhook.secret, event.id, new Date(), body);
    const result = await this.sender.post(webhook.url, { ...headers }, body, signal);
    if (signal.aborted) return 'stop';
    this.counters.attempt(result.outcome);
    const delivery: NewDelivery = {
      webhookId: webhook.id,
      eventId: event.id,
      eventSequence: event.sequence,
      eventType: event.type,
      attempt,
      succeeded: result.outcome === 'delivered',
      statusCode: result.statusCode,
      durationMs: result.durationMs,
      error: result.error,
    };
    if (result.outcome === 'delivered') {
      // false: an admin moved the cursor (replay) or the lease ran out; the next claim starts afresh.
      return (await this.repository.delivered(delivery, this.owner, cursor)) ? 'next' : 'stop';
    }
    const now = this.clock.now();
    const delayMs = backoffMs(attempt, this.settings, result.statusCode === 429 || result.statusCode === 503 ? retryAfterMs(result.retryAfter, now) : undefined);
    const disabled = await this.repository.transaction(async (tx) => {
      const run = await this.repository.failed(tx, delivery, this.owner, delayMs);
      const reason = run && disableReason(run.consecutiveFailures, run.failingForMs, this.settings);
      if (!run || !reason) return [];
      await this.repository.update(tx, webhook.id, { enabled: false, disabledReason: reason }, null, now);
      return this.events.record(tx, {
        type: 'WEBHOOK_DISABLED',
        actor: null,
        payload: { webhookId: webhook.id, reason, consecutiveFailures: run.consecutiveFailures, lastDeliveredSequence: cursor.toString() },
      });
    });
    this.log.info(
      { webhookId: webhook.id, sequence: event.sequence.toString(), attempt, outcome: result.outcome, status: result.statusCode, retryInMs: disabled.length ? null : delayMs },
      disabled.length ? 'webhook endpoint disabled after failed deliveries' : 'webhook delivery failed; will retry',
    );
    if (disabled.length) {
      this.counters.disabled();
      this.events.committed(disabled);
    } else this.wakeAt(Date.now() + delayMs);
    return 'stop';
  }
}
