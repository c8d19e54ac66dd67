// Standard Webhooks signing (https://www.standardwebhooks.com): the `standardwebhooks` package, the
// same library receivers use to verify, signs `${id}.${timestamp}.${body}` with HMAC-SHA256 under
// the base64 key of a `whsec_…` secret, and gives `v1,<base64 signature>`. Using it rather than
// our own HMAC means a receiver's verify() and our sign() cannot drift apart.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

const SECRET_PREFIX = 'whsec_';

/** A new signing secret: `whsec_` and 32 random bytes in base64 (the spec allows 24 to 64). */
export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/** The three signature headers of one request. */
export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * The headers for `body` sent as message `id` at `at`. `id` is the event's id, the same on every
 * retry, so a receiver can drop a message it already processed.
 */
export function signWebhook(secret: string, id: string, at: Date, body: string): SignedHeaders {
  // Webhook.sign floors the timestamp to seconds, as the header does.
  const signature = new Webhook(secret).sign(id, at, body);
  return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature };
}
