// Sign-in sessions and their refresh tokens: the only code that reads or writes user_sessions and
// user_session_refresh_tokens. Refresh tokens are stored as their SHA-256 only.
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Tx } from '../events/user-event.repository.js';
import type { Role } from '../users/user.model.js';

export type Db = PrismaClient | Tx;

export interface SessionRecord {
  id: string;
  userId: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  revokedReason: string | null;
  userAgent: string | null;
  ip: string | null;
}

/** What the access check needs about a user: their state, role, and live session ids. */
export interface AccessRow extends AccountState {
  liveSessionIds: string[];
}

/** What decides whether an account may act (userStatus), and its role. */
export interface AccountState {
  role: Role;
  isActive: boolean;
  deletedAt: Date | null;
  suspendedAt: Date | null;
  suspendedUntil: Date | null;
  lockedUntil: Date | null;
  erasedAt: Date | null;
}

const ACCOUNT_SELECT = { role: true, isActive: true, deletedAt: true, suspendedAt: true, suspendedUntil: true, lockedUntil: true, erasedAt: true } as const;

export type RevokeReason =
  | 'LOGOUT'
  | 'LOGOUT_EVERYWHERE'
  | 'REVOKED'
  | 'REFRESH_TOKEN_REUSED'
  | 'PASSWORD_CHANGED'
  | 'ACCOUNT_DISABLED'
  | 'ACCOUNT_LOCKED';

/** What presenting a refresh token found (see SessionRepository.spend). */
export type SpendOutcome =
  { kind: 'unknown' } | { kind: 'reused'; session: SessionRecord } | { kind: 'spent'; session: SessionRecord };

const SESSION_SELECT = {
  id: true,
  userId: true,
  createdAt: true,
  lastUsedAt: true,
  expiresAt: true,
  revokedAt: true,
  revokedReason: true,
  userAgent: true,
  ip: true,
} as const;

export class SessionRepository {
  constructor(private readonly prisma: PrismaClient) {}

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(work);
  }

  /** A new session and its first refresh token, in one transaction. */
  create(session: {
    userId: string;
    expiresAt: Date;
    now: Date;
    userAgent: string | null;
    ip: string | null;
    refreshHash: string;
  }): Promise<SessionRecord> {
    return this.prisma.$transaction(async (tx) => {
      const created = await tx.userSession.create({
        data: {
          userId: session.userId,
          createdAt: session.now,
          lastUsedAt: session.now,
          expiresAt: session.expiresAt,
          userAgent: session.userAgent,
          ip: session.ip,
        },
        select: SESSION_SELECT,
      });
      await tx.userSessionRefreshToken.create({
        data: { tokenHash: session.refreshHash, sessionId: created.id, createdAt: session.now },
      });
      return created;
    });
  }

  /**
   * Spends a refresh token. The update only matches an unspent token, so of two concurrent
   * refreshes with the same token exactly one wins; the other sees a spent token: reuse.
   */
  async spend(tx: Db, tokenHash: string, now: Date): Promise<SpendOutcome> {
    const spent = await tx.userSessionRefreshToken.updateMany({ where: { tokenHash, spentAt: null }, data: { spentAt: now } });
    const row = await tx.userSessionRefreshToken.findUnique({
      where: { tokenHash },
      select: { session: { select: SESSION_SELECT } },
    });
    if (!row) return { kind: 'unknown' };
    return spent.count === 1 ? { kind: 'spent', session: row.session } : { kind: 'reused', session: row.session };
  }

  /** The session's next refresh token; the session records when it was last used. */
  async addRefreshToken(tx: Db, sessionId: string, tokenHash: string, now: Date): Promise<void> {
    await tx.userSessionRefreshToken.create({ data: { tokenHash, sessionId, createdAt: now } });
    await tx.userSession.update({ where: { id: sessionId }, data: { lastUsedAt: now } });
  }

  /** Ends the given live sessions of a user (all of them when `ids` is undefined); returns the ids ended. */
  async revoke(
    tx: Db,
    userIds: readonly string[],
    ids: readonly string[] | undefined,
    reason: RevokeReason,
    now: Date,
  ): Promise<{ id: string; userId: string }[]> {
    const where = { userId: { in: [...userIds] }, revokedAt: null, ...(ids ? { id: { in: [...ids] } } : {}) };
    const live = await tx.userSession.findMany({ where, select: { id: true, userId: true } });
    if (live.length === 0) return [];
    await tx.userSession.updateMany({
      where: { id: { in: live.map((s) => s.id) }, revokedAt: null },
      data: { revokedAt: now, revokedReason: reason },
    });
    return live;
  }

  account(tx: Db, userId: string): Promise<AccountState | null> {
    return tx.user.findUnique({ where: { id: userId }, select: ACCOUNT_SELECT });
  }

  /** A user's live sessions, newest first. */
  listLive(userId: string, now: Date): Promise<SessionRecord[]> {
    return this.prisma.userSession.findMany({
      where: { userId, revokedAt: null, expiresAt: { gt: now } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      select: SESSION_SELECT,
      take: 1000,
    });
  }

  async accessRow(userId: string, now: Date): Promise<AccessRow | null> {
    const [user, sessions] = await Promise.all([
      this.prisma.user.findUnique({ where: { id: userId }, select: ACCOUNT_SELECT }),
      this.prisma.userSession.findMany({ where: { userId, revokedAt: null, expiresAt: { gt: now } }, select: { id: true } }),
    ]);
    return user ? { ...user, liveSessionIds: sessions.map((s) => s.id) } : null;
  }
}
