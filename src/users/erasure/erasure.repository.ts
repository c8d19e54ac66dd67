// The SQL of erasure (GDPR Art. 17): the user's row loses every personal column, and every table
// that copied personal data about the user (the event log's payloads, import row errors, export
// links' filters, sign-ins) loses its copy, in the caller's transaction. Which record fields are personal
// is listed once, here (PERSONAL_FIELDS); the row's columns come from the users column map.
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import { z } from 'zod';
import { rowsOf } from '../../db/rows.js';
import type { Tx } from '../../events/user-event.repository.js';
import { USER_COLUMNS, type RecordField } from '../user.columns.js';

type Db = PrismaClient | Tx;

/**
 * Record fields that hold personal data: nulled on the row (the email is replaced, being
 * required), and their `from`/`to` nulled in UserUpdated changes (with every `attributes.<key>`).
 * The suspension reason is an admin's free text about the person, so it goes too.
 */
export const PERSONAL_FIELDS = [
  'name',
  'firstName',
  'lastName',
  'phoneNumber',
  'avatarUrl',
  'externalId',
  'attributes',
  'suspensionReason',
] as const satisfies readonly RecordField[];
/** Fields of UserUpdated changes whose values are personal (besides attributes.*). */
const PERSONAL_CHANGE_FIELDS = ['email', ...PERSONAL_FIELDS];

const lockedRows = rowsOf('erasure lock', z.object({ email: z.string(), erasedAt: z.date().nullable() }));
const erasedRows = rowsOf('erasure candidates', z.object({ id: z.string() }));

/** The address an erased user's row keeps: unique, not deliverable (.invalid, RFC 2606). */
export function erasedEmail(id: string): string {
  return `erased+${id}@invalid`;
}

export class ErasureRepository {
  constructor(private readonly db: Db) {}

  /** Locks the row (live or deleted); null when there is none. */
  async lock(id: string): Promise<{ email: string; erasedAt: Date | null } | null> {
    const rows = lockedRows(
      await this.db.$queryRaw`SELECT email, erased_at AS "erasedAt" FROM users WHERE id = ${id}::uuid FOR UPDATE`,
    );
    return rows[0] ?? null;
  }

  /**
   * Scrubs the row and every copy of its personal data. `email` is the address the row had (as
   * lock() read it): import errors and export filters only know the user by it.
   */
  async erase(id: string, email: string, actorId: string | null, now: Date): Promise<void> {
    await this.db.$executeRaw(eraseRowQuery(id, actorId, now));
    await this.db.$executeRaw(scrubEventsQuery(id));
    await this.db.$executeRaw`UPDATE user_import_errors SET email = NULL WHERE email = ${email}`;
    await this.db.$executeRaw`
      UPDATE user_exports SET filter = jsonb_set(filter, '{email}', to_jsonb(${erasedEmail(id)}::text))
      WHERE filter->>'email' = ${email}`;
    // Sign-ins are personal data too: the login history (email, address, user agent) goes, the
    // ended sessions keep only ids and dates, and the throttle's counters keyed by the email
    // (rate-limiter-flexible keys are "<prefix>:<email>") go. With REDIS_URL the counters live in
    // Redis instead and expire by themselves within LOGIN_IP_WINDOW / LOGIN_LOCKOUT_MAX.
    await this.db.$executeRaw`DELETE FROM login_attempts WHERE user_id = ${id}::uuid OR email = ${email}`;
    await this.db.$executeRaw`UPDATE user_sessions SET ip = NULL, user_agent = NULL WHERE user_id = ${id}::uuid`;
    await this.db.$executeRaw`DELETE FROM login_throttles WHERE right(key, length(${email}) + 1) = ':' || ${email}`;
  }

  /**
   * Deletes up to `limit` events that occurred before `before` and that every outbox relay has
   * passed (user_event_relay.last_sequence): no running subscriber still waits for them. Without
   * a relay position nothing is deleted. Nor is anything an enabled webhook endpoint has not
   * received yet (webhooks.last_delivered_seq). A disabled endpoint holds nothing back: replaying
   * it after a long outage reaches only events still kept (README, Webhooks). Returns how many.
   */
  async pruneEvents(before: Date, limit: number): Promise<number> {
    return this.db.$executeRaw`
      DELETE FROM user_events WHERE sequence IN (
        SELECT sequence FROM user_events
        WHERE occurred_at < ${before} AND sequence <= coalesce((SELECT min(last_sequence) FROM user_event_relay), 0)
          AND sequence <= coalesce((SELECT min(last_delivered_seq) FROM webhooks WHERE enabled), sequence)
        ORDER BY sequence LIMIT ${limit})`;
  }

  /** Users soft-deleted before `before` and not erased yet, oldest first (the retention job's batch). */
  async deletedBefore(before: Date, limit: number): Promise<string[]> {
    const rows = erasedRows(
      await this.db.$queryRaw`
        SELECT id::text AS id FROM users
        WHERE deleted_at < ${before} AND erased_at IS NULL
        ORDER BY deleted_at, id LIMIT ${limit}`,
    );
    return rows.map((r) => r.id);
  }
}

/** The row: personal columns null, the email replaced, deleted (if it was not) and ERASED. */
export function eraseRowQuery(id: string, actorId: string | null, now: Date): Prisma.Sql {
  const cleared = [
    ...PERSONAL_FIELDS.map((f) => USER_COLUMNS[f].column),
    USER_COLUMNS.passwordHash.column,
    'suspended_at',
    'suspended_until',
  ];
  return Prisma.sql`
    UPDATE users SET
      email = ${erasedEmail(id)},
      ${Prisma.raw(cleared.map((c) => `${c} = NULL`).join(', '))},
      is_active = false,
      erased_at = ${now},
      deleted_by_id = CASE WHEN deleted_at IS NULL THEN ${actorId}::uuid ELSE deleted_by_id END,
      deleted_at = coalesce(deleted_at, ${now}),
      updated_at = ${now}, updated_by_id = ${actorId}::uuid, version = version + 1
    WHERE id = ${id}::uuid`;
}

/**
 * Every stored event about the user without personal data: UserCreated's email becomes the erased
 * address, UserUpdated keeps which fields changed but not their personal values, UserSuspended
 * loses its reason. Other kinds hold ids, flags and dates only.
 */
export function scrubEventsQuery(id: string): Prisma.Sql {
  return Prisma.sql`
    UPDATE user_events SET payload = CASE type
      WHEN 'USER_CREATED' THEN jsonb_set(payload, '{email}', to_jsonb(${erasedEmail(id)}::text))
      WHEN 'USER_SUSPENDED' THEN jsonb_set(payload, '{reason}', '"(erased)"'::jsonb)
      WHEN 'USER_UPDATED' THEN jsonb_set(payload, '{changes}', (
        SELECT coalesce(jsonb_agg(
                 CASE WHEN c->>'field' = ANY(${PERSONAL_CHANGE_FIELDS}::text[]) OR c->>'field' LIKE 'attributes.%'
                      THEN c || '{"from": null, "to": null}'::jsonb ELSE c END
                 ORDER BY n), '[]'::jsonb)
        FROM jsonb_array_elements(payload->'changes') WITH ORDINALITY AS e(c, n)))
      ELSE payload END
    WHERE user_id = ${id}::uuid AND type IN ('USER_CREATED', 'USER_SUSPENDED', 'USER_UPDATED')`;
}
