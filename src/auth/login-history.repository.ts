// The login history table (login_attempts): the only code that reads or writes it.
import type { PrismaClient } from '../generated/prisma/client.js';

export type LoginKind = 'LOGIN' | 'REFRESH';
export type LoginOutcome = 'SUCCESS' | 'FAILURE';

export interface NewLoginAttempt {
  kind: LoginKind;
  outcome: LoginOutcome;
  reason: string | null;
  email: string | null;
  userId: string | null;
  sessionId: string | null;
  ip: string | null;
  userAgent: string | null;
  occurredAt: Date;
}

export interface LoginAttemptRecord extends NewLoginAttempt {
  id: bigint;
}

export interface LoginHistoryQuery {
  userId?: string | undefined;
  outcome?: LoginOutcome | undefined;
  email?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Rows with an id below this one (newest first). */
  before?: bigint | undefined;
  limit: number;
}

export class LoginHistoryRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async record(attempt: NewLoginAttempt): Promise<void> {
    await this.prisma.loginAttempt.create({ data: attempt });
  }

  /** Newest first: one index seek on (user_id, id) or (outcome, id). */
  find(query: LoginHistoryQuery): Promise<LoginAttemptRecord[]> {
    return this.prisma.loginAttempt.findMany({
      where: {
        ...(query.userId ? { userId: query.userId } : {}),
        ...(query.outcome ? { outcome: query.outcome } : {}),
        ...(query.email ? { email: query.email } : {}),
        ...(query.from || query.to ? { occurredAt: { ...(query.from ? { gte: query.from } : {}), ...(query.to ? { lt: query.to } : {}) } } : {}),
        ...(query.before !== undefined ? { id: { lt: query.before } } : {}),
      },
      orderBy: { id: 'desc' },
      take: query.limit,
    }) as Promise<LoginAttemptRecord[]>;
  }

  /** Deletes rows older than `before`; returns how many. */
  async purge(before: Date): Promise<number> {
    return (await this.prisma.loginAttempt.deleteMany({ where: { occurredAt: { lt: before } } })).count;
  }
}
