// When to try again after a failed attempt, and when to give up on an endpoint. Pure functions:
// the dispatcher applies them, tests/unit/webhook-retry.test.ts pins them down.
//
// Which answers are failures: anything but 2xx. The Standard Webhooks spec says so, and since an
// endpoint's events go out in order, a 4xx cannot be "skipped" without losing the event: it is
// retried like a 5xx, and a receiver that keeps refusing ends up disabled (then fixed and replayed).
// 3xx counts as a failure too: redirects are not followed (a redirect could lead past the SSRF guard).
import type { WebhookSettings } from '../config.js';

/** Why a run of failures disables an endpoint, as WEBHOOK_DISABLED and disabledReason say it. */
export type DisableReason = 'MAX_FAILURES' | 'RETRY_WINDOW';

/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"):
 * a uniformly random wait in [0, min(max, base·2^(n-1))] after the n-th failure in a row, so
 * instances retrying a recovered receiver do not arrive together. `retryAfterMs` (from a 429 or
 * 503's Retry-After) replaces it, capped at the maximum step.
 */
export function backoffMs(failures: number, settings: Pick<WebhookSettings, 'retryBaseMs' | 'retryMaxMs'>, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), settings.retryMaxMs);
  const ceiling = Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** Math.min(Math.max(failures - 1, 0), 40));
  return Math.floor(random() * ceiling);
}

/** Whether the run of failures ends the endpoint's delivery, and why. */
export function disableReason(consecutiveFailures: number, failingForMs: number, settings: Pick<WebhookSettings, 'maxFailures' | 'retryForMs'>): DisableReason | undefined {
  if (consecutiveFailures >= settings.maxFailures) return 'MAX_FAILURES';
  if (failingForMs >= settings.retryForMs) return 'RETRY_WINDOW';
  return undefined;
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: Date): number | undefined {
  if (!header) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}
