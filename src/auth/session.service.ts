// Sign-in sessions: a login opens one and returns an access token (short, ACCESS_TOKEN_TTL) and a
// refresh token (opaque, REFRESH_TOKEN_TTL, stored as its SHA-256 only). refreshSession spends the
// refresh token and returns a new pair (rotation). A spent token presented again means a copy of it
// is in someone else's hands: the whole session is ended (reuse detection, OAuth 2.0 Security BCP
// §4.14), and the legitimate client signs in again.
//
// Every way a session ends records USER_SESSIONS_REVOKED in the same transaction: that event is
// what makes every instance drop its cached view of the user (access.cache.ts). Changes of the
// account that end its access (suspension, deactivation, deletion, a new password) end its
// sessions in the transaction that records them (endSessionsOnAccountChange), so after an
// unsuspend the old tokens stay dead and a fresh login is needed.
import { createHash, randomBytes } from 'node:crypto';
import { assertCan } from './policy.js';
import { actorId, type Principal } from './principal.js';
import type { Clock } from '../clock.js';
import { UnauthenticatedError } from '../errors.js';
import type { EventsService } from '../events/event.service.js';
import type { NewUserEvent, UserEvent } from '../events/user-event.model.js';
import type { Tx } from '../events/user-event.repository.js';
import { userStatus } from '../users/user.columns.js';
import type { UserRecord } from '../users/user.model.js';
import { UserNotFoundError } from '../users/user.error.js';
import type { UsersRepository } from '../users/user.repository.js';
import { assertUuid } from '../users/user.validation.js';
import type { AccessCache } from './access.cache.js';
import type { RevokeReason, SessionRecord, SessionRepository } from './session.repository.js';
import type { TokenService } from './token.service.js';
import type { LoginHistoryService } from './login-history.service.js';

export interface AuthPayload {
  accessToken: string;
  expiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  sessionId: string;
  user: UserRecord;
}

/** Where a login or refresh came from (kept on the session; never trusted for anything). */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export const DEFAULT_REFRESH_TTL_SECONDS = 30 * 86_400;

/** Refresh tokens are 32 random bytes, base64url: 43 characters. */
const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export class SessionService {
  constructor(
    private readonly repository: SessionRepository,
    private readonly users: UsersRepository,
    private readonly tokens: TokenService,
    private readonly events: EventsService,
    private readonly access: AccessCache,
    private readonly clock: Clock,
    private readonly refreshTtlSeconds: number = DEFAULT_REFRESH_TTL_SECONDS,
    private readonly history?: LoginHistoryService,
  ) {}

  /** Opens a session for a user who has just proved who they are; returns their token pair. */
  async open(user: UserRecord, client: ClientInfo): Promise<AuthPayload> {
    const now = this.clock.now();
    const refreshToken = newRefreshToken();
    const session = await this.repository.create({
      userId: user.id,
      now,
      expiresAt: new Date(now.getTime() + this.refreshTtlSeconds * 1000),
      userAgent: clip(client.userAgent, 512),
      ip: clip(client.ip, 64),
      refreshHash: hash(refreshToken),
    });
    return this.payload(user, session, refreshToken);
  }

  /** Spends `refreshToken` and returns a new pair; see the top of this file for reuse. */
  async refresh(refreshToken: string, client: ClientInfo = { ip: null, userAgent: null }): Promise<AuthPayload> {
    const attempt = { kind: 'REFRESH', email: null, ip: client.ip, userAgent: client.userAgent } as const;
    if (!REFRESH_TOKEN.test(refreshToken)) {
      await this.history?.record({ ...attempt, outcome: 'FAILURE', reason: 'UNKNOWN_TOKEN', userId: null, sessionId: null });
      throw new UnauthenticatedError('Invalid refresh token');
    }
    const now = this.clock.now();
    const outcome = await this.repository.transaction(async (tx) => {
      const spent = await this.repository.spend(tx, hash(refreshToken), now);
      if (spent.kind === 'unknown') return { refused: 'Invalid refresh token', reason: 'UNKNOWN_TOKEN' } as const;
      const session = spent.session;
      if (spent.kind === 'reused') {
        const stored = await this.events.record(
          tx,
          await this.end(tx, [session.userId], [session.id], 'REFRESH_TOKEN_REUSED', null, now),
        );
        return { refused: 'Refresh token already used: the session has been ended', reason: 'REFRESH_TOKEN_REUSED', stored, session } as const;
      }
      if (session.revokedAt || session.expiresAt <= now) return { refused: 'Session ended: sign in again', reason: 'SESSION_ENDED', session } as const;
      // Inside the transaction (the embedded database has one connection).
      const account = await this.repository.account(tx, session.userId);
      if (!account || userStatus(account, now) !== 'ACTIVE' || (account.lockedUntil && account.lockedUntil > now)) return { refused: 'Session ended: the account is not active', reason: 'INACTIVE', session } as const;
      const next = newRefreshToken();
      await this.repository.addRefreshToken(tx, session.id, hash(next), now);
      return { session, next } as const;
    });
    if ('refused' in outcome) {
      if (outcome.stored) this.committed(outcome.stored);
      const session = 'session' in outcome ? outcome.session : undefined;
      await this.history?.record({ ...attempt, outcome: 'FAILURE', reason: outcome.reason ?? null, userId: session?.userId ?? null, sessionId: session?.id ?? null });
      throw new UnauthenticatedError(outcome.refused);
    }
    await this.history?.record({ ...attempt, outcome: 'SUCCESS', reason: null, userId: outcome.session.userId, sessionId: outcome.session.id });
    const user = (await this.users.findByIds([outcome.session.userId]))[0];
    if (!user) throw new UnauthenticatedError('Session ended: sign in again');
    return this.payload(user, outcome.session, outcome.next);
  }

  /** Ends the caller's own session (the one their token belongs to). false: there was none to end. */
  async logout(principal: Principal): Promise<boolean> {
    const caller = assertCan(principal, 'sessions.own');
    const userId = actorId(caller);
    if (!userId || !caller.sessionId) return false;
    return (await this.revoke(caller, [userId], [caller.sessionId], 'LOGOUT')) > 0;
  }

  /** Ends every session of the caller; returns how many. */
  async logoutEverywhere(principal: Principal): Promise<number> {
    const caller = assertCan(principal, 'sessions.own');
    const userId = actorId(caller);
    if (!userId) return 0;
    return this.revoke(caller, [userId], undefined, 'LOGOUT_EVERYWHERE');
  }

  /** ADMIN: ends every session of a user; returns how many. */
  async revokeUserSessions(principal: Principal, userId: string): Promise<number> {
    const caller = assertCan(principal, 'sessions.manage');
    const id = assertUuid(userId, 'userId');
    if (!(await this.users.findByIds([id]))[0]) throw new UserNotFoundError(id);
    return this.revoke(caller, [id], undefined, 'REVOKED');
  }

  async mySessions(principal: Principal): Promise<(SessionRecord & { current: boolean })[]> {
    const caller = assertCan(principal, 'sessions.own');
    const userId = actorId(caller);
    if (!userId) return [];
    const sessions = await this.repository.listLive(userId, this.clock.now());
    return sessions.map((s) => ({ ...s, current: s.id === caller.sessionId }));
  }

  async userSessions(principal: Principal, userId: string): Promise<(SessionRecord & { current: boolean })[]> {
    const caller = assertCan(principal, 'sessions.manage');
    const id = assertUuid(userId, 'userId');
    const sessions = await this.repository.listLive(id, this.clock.now());
    return sessions.map((s) => ({ ...s, current: s.id === caller.sessionId }));
  }

  /**
   * Registered with EventsService.beforeRecord: in the transaction that records a change ending an
   * account's access, ends that account's sessions; returns the USER_SESSIONS_REVOKED events to
   * record with the change.
   */
  async endSessionsOnAccountChange(tx: Tx, events: readonly NewUserEvent[]): Promise<NewUserEvent[]> {
    const byReason = new Map<RevokeReason, { userIds: Set<string>; actor: string | null }>();
    const add = (reason: RevokeReason, userId: string, actor: string | null) => {
      const entry = byReason.get(reason) ?? { userIds: new Set<string>(), actor };
      entry.userIds.add(userId);
      byReason.set(reason, entry);
    };
    for (const event of events) {
      switch (event.type) {
        case 'USER_SUSPENDED':
        case 'USER_DEACTIVATED':
        case 'USER_DELETED':
          add('ACCOUNT_DISABLED', event.payload.userId, event.actor);
          break;
        case 'USER_LOCKED':
          add('ACCOUNT_LOCKED', event.payload.userId, event.actor);
          break;
        case 'USER_ERASED':
          add('ACCOUNT_DISABLED', event.payload.userId, event.actor);
          break;
        case 'USER_PASSWORD_CHANGED':
          add('PASSWORD_CHANGED', event.payload.userId, event.actor);
          break;
        case 'USER_UPDATED':
          if (event.payload.passwordChanged) add('PASSWORD_CHANGED', event.payload.userId, event.actor);
          break;
        case 'USER_CREATED':
        case 'USER_RESTORED':
        case 'USER_ACTIVATED':
        case 'USER_UNSUSPENDED':
        case 'USER_BULK_ACTION':
        case 'USER_SESSIONS_REVOKED':
        case 'USER_UNLOCKED':
        case 'WEBHOOK_DISABLED':
          break;
      }
    }
    const more: NewUserEvent[] = [];
    const now = this.clock.now();
    for (const [reason, { userIds, actor }] of byReason)
      more.push(...(await this.end(tx, [...userIds], undefined, reason, actor, now)));
    return more;
  }

  private async revoke(caller: Principal, userIds: string[], ids: string[] | undefined, reason: RevokeReason): Promise<number> {
    const now = this.clock.now();
    const stored = await this.repository.transaction(async (tx) =>
      this.events.record(tx, await this.end(tx, userIds, ids, reason, caller.userId, now)),
    );
    this.committed(stored);
    return stored.reduce((n, e) => n + (e.type === 'USER_SESSIONS_REVOKED' ? e.payload.sessionIds.length : 0), 0);
  }

  /** Ends sessions in `tx`; returns one USER_SESSIONS_REVOKED per user that had any, to record. */
  private async end(
    tx: Tx,
    userIds: string[],
    ids: string[] | undefined,
    reason: RevokeReason,
    actor: string | null,
    now: Date,
  ): Promise<NewUserEvent[]> {
    const ended = await this.repository.revoke(tx, userIds, ids, reason, now);
    const perUser = new Map<string, string[]>();
    for (const s of ended) perUser.set(s.userId, [...(perUser.get(s.userId) ?? []), s.id]);
    return [...perUser].map(([userId, sessionIds]): NewUserEvent => ({
      type: 'USER_SESSIONS_REVOKED',
      actor,
      payload: { userId, sessionIds, reason },
    }));
  }

  private committed(stored: readonly UserEvent[]): void {
    for (const e of stored) if (e.userId) this.access.invalidate(e.userId);
    this.events.committed(stored);
  }

  private async payload(user: UserRecord, session: SessionRecord, refreshToken: string): Promise<AuthPayload> {
    const { token, expiresAt } = await this.tokens.issue(user.id, [user.role], session.id, { notAfter: session.expiresAt, restricted: user.passwordChangeRequired });
    return { accessToken: token, expiresAt, refreshToken, refreshTokenExpiresAt: session.expiresAt, sessionId: session.id, user };
  }
}

function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

function hash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function clip(value: string | null, max: number): string | null {
  return value === null ? null : value.slice(0, max);
}
