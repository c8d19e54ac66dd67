// Login and the first admin. Every failed login looks the same from outside (UNAUTHENTICATED,
// one bcrypt compare) whether the account is unknown, deleted, inactive, or the password wrong.
// Failures are throttled per email and per client IP (login.throttle.ts); an email with too many
// is refused with TOO_MANY_REQUESTS before its password is looked at, known account or not.
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger.js';
import { TooManyRequestsError, UnauthenticatedError } from '../errors.js';
import { userStatus } from '../users/user.columns.js';
import type { LoginHistoryService } from './login-history.service.js';
import type { Clock } from '../clock.js';
import type { UserRecord } from '../users/user.model.js';
import type { UsersRepository } from '../users/user.repository.js';
import { loginEmail, normalizeEmail } from '../users/user.validation.js';
import { UserAlreadyExistsError } from '../users/user.error.js';
import type { LifecycleService } from '../users/lifecycle/lifecycle.service.js';
import type { LoginThrottle } from './login.throttle.js';
import type { Principal } from './principal.js';
import type { PasswordHasher } from './password.hasher.js';
import type { AuthPayload, ClientInfo, SessionService } from './session.service.js';

export class AuthService {
  constructor(
    private readonly repository: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionService,
    private readonly clock: Clock,
    private readonly lifecycle: LifecycleService,
    private readonly loginPolicy: (user: UserRecord, now: Date) => boolean = (user) => user.isActive,
    private readonly lockout?: {
      throttle: LoginThrottle;
      /** Records the lock on the account (User.lockedUntil, USER_LOCKED, its sessions end). */
      lock: (userId: string, until: Date) => Promise<void>;
      log: Logger;
    },
    private readonly history?: LoginHistoryService,
    /** Told of every failed login (the metrics count them). */
    private readonly onLoginFailure: () => void = () => undefined,
  ) {}

  async login(email: string, password: string, client: ClientInfo = { ip: null, userAgent: null }): Promise<AuthPayload> {
    // An email no account can have (NUL, control characters) is refused before the database
    // sees it; that says nothing about which accounts exist.
    const key = loginEmail(email, 'email');
    const attempt = { kind: 'LOGIN', email: key, ip: client.ip, userAgent: client.userAgent } as const;
    let throttled;
    try {
      throttled = await this.lockout?.throttle.check(key, client.ip);
    } catch (error) {
      if (error instanceof TooManyRequestsError) {
        await this.history?.record({ ...attempt, outcome: 'FAILURE', reason: error.scope === 'address' ? 'THROTTLED' : 'LOCKED', userId: null, sessionId: null });
      }
      throw error;
    }
    const found = await this.repository.findCredentials(key);
    const ok = await this.hasher.verify(password, found?.passwordHash);
    const now = this.clock.now();
    if (!found || !ok || !this.loginPolicy(found.user, now)) {
      const reason = !found ? 'UNKNOWN' : !ok ? 'WRONG_PASSWORD' : userStatus(found.user, now);
      await this.history?.record({ ...attempt, outcome: 'FAILURE', reason, userId: found?.user.id ?? null, sessionId: null });
      if (this.lockout) await this.failed(this.lockout, key, client, found?.user.id);
      this.onLoginFailure();
      throw new UnauthenticatedError('Invalid email or password');
    }
    if (throttled && throttled.failures > 0) await this.lockout?.throttle.clear(key);
    const user = await this.repository.recordLogin(found.user.id, now);
    const payload = await this.sessions.open(user, client);
    await this.history?.record({ ...attempt, outcome: 'SUCCESS', reason: null, userId: user.id, sessionId: payload.sessionId });
    return payload;
  }

  /** unlockUser: clears the account's lock and its email's failure count. */
  async unlock(principal: Principal, id: string): Promise<UserRecord> {
    const user = await this.lifecycle.unlock(principal, id);
    await this.lockout?.throttle.clear(user.email);
    return user;
  }

  private async failed(lockout: NonNullable<AuthService['lockout']>, key: string, client: ClientInfo, userId: string | undefined): Promise<void> {
    const lockedUntil = await lockout.throttle.failed(key, client.ip);
    if (!lockedUntil || !userId) return;
    // Not awaited: a known account's lock must take no longer to answer than an unknown email's.
    lockout.lock(userId, lockedUntil).catch((error: unknown) => lockout.log.warn({ err: error, userId }, 'could not record a login lock'));
  }

  /**
   * A new session for `user` (changeMyPassword: the change ended the user's other sessions). While
   * the user must change their password, its access tokens allow only that (SessionService).
   */
  tokenFor(user: UserRecord, client: ClientInfo = { ip: null, userAgent: null }): Promise<AuthPayload> {
    return this.sessions.open(user, client);
  }

  /**
   * On an empty users table, creates the first admin from ADMIN_EMAIL/ADMIN_PASSWORD, or (embedded
   * database only) admin@localhost with a random password printed once.
   */
  async bootstrapAdmin(
    configured: { email: string; password: string } | undefined,
    allowGenerated: boolean,
    log: Logger,
  ): Promise<{ email: string; generatedPassword?: string } | undefined> {
    if (await this.repository.anyExists()) return undefined;
    if (!configured && !allowGenerated) {
      log.warn('users table is empty and ADMIN_EMAIL/ADMIN_PASSWORD are not set: nobody can log in yet');
      return undefined;
    }
    const email = normalizeEmail(configured?.email ?? 'admin@localhost');
    const password = configured?.password ?? randomBytes(15).toString('base64url');
    const passwordHash = await this.hasher.hash(password);
    try {
      await this.repository.insert({ email, passwordHash, role: 'ADMIN', isActive: true, isEmailVerified: true, name: 'Administrator' }, null);
    } catch (error) {
      // Another instance starting at the same moment on the same database created it first.
      if (error instanceof UserAlreadyExistsError) return undefined;
      throw error;
    }
    log.info({ email }, 'created the first admin');
    return configured ? { email } : { email, generatedPassword: password };
  }
}
