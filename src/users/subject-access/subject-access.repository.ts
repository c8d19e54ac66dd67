// What a subject access export reads besides the user's record: every stored event about the
// user (their own events, and bulk actions that list them), their sign-in sessions (never a
// refresh token's hash) and their login history, oldest first.
import { z } from 'zod';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { rowsOf } from '../../db/rows.js';

const eventRows = rowsOf(
  'subject access events',
  z.object({
    sequence: z.string(),
    type: z.string(),
    occurredAt: z.date(),
    actorId: z.string().nullable(),
    payload: z.unknown(),
  }),
);

export type StoredEvent = ReturnType<typeof eventRows>[number];

const sessionRows = rowsOf(
  'subject access sessions',
  z.object({
    id: z.string(),
    createdAt: z.date(),
    lastUsedAt: z.date(),
    expiresAt: z.date(),
    revokedAt: z.date().nullable(),
    revokedReason: z.string().nullable(),
    userAgent: z.string().nullable(),
    ip: z.string().nullable(),
  }),
);

const loginRows = rowsOf(
  'subject access logins',
  z.object({
    occurredAt: z.date(),
    kind: z.string(),
    outcome: z.string(),
    reason: z.string().nullable(),
    sessionId: z.string().nullable(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
  }),
);

export class SubjectAccessRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async events(userId: string): Promise<StoredEvent[]> {
    return eventRows(
      await this.prisma.$queryRaw`
        SELECT sequence::text AS sequence, type, occurred_at AS "occurredAt", actor_id AS "actorId", payload
        FROM user_events
        WHERE user_id = ${userId}::uuid OR (user_id IS NULL AND payload->'userIds' ? ${userId})
        ORDER BY user_events.sequence`,
    );
  }

  async sessions(userId: string): Promise<ReturnType<typeof sessionRows>> {
    return sessionRows(
      await this.prisma.$queryRaw`
        SELECT id::text AS id, created_at AS "createdAt", last_used_at AS "lastUsedAt", expires_at AS "expiresAt",
               revoked_at AS "revokedAt", revoked_reason AS "revokedReason", user_agent AS "userAgent", ip
        FROM user_sessions WHERE user_id = ${userId}::uuid ORDER BY created_at, id`,
    );
  }

  /** Attempts by the user, and those under their email that no user was named on (a lock, a throttle). */
  async logins(userId: string, email: string): Promise<ReturnType<typeof loginRows>> {
    return loginRows(
      await this.prisma.$queryRaw`
        SELECT occurred_at AS "occurredAt", kind, outcome, reason, session_id::text AS "sessionId", ip, user_agent AS "userAgent"
        FROM login_attempts WHERE user_id = ${userId}::uuid OR (user_id IS NULL AND email = ${email}) ORDER BY id`,
    );
  }
}
