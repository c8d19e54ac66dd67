// What a subject access export reads besides the user's record: every stored event about the
// user (their own events, and bulk actions that list them), oldest first.
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

export class SubjectAccessRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async events(userId: string): Promise<StoredEvent[]> {
    return eventRows(
      await this.prisma.$queryRaw`
        SELECT sequence::text AS sequence, type, occurred_at AS "occurredAt", actor_id AS "actorId", payload
        FROM user_events
        WHERE user_id = ${userId}::uuid OR (user_id IS NULL AND payload->'userIds' ? ${userId})
        ORDER BY sequence`,
    );
  }
}
