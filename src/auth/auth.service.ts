// Login and the first admin. Every failed login looks the same from outside (UNAUTHENTICATED,
// one bcrypt compare) whether the account is unknown, deleted, inactive, or the password wrong.
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger.js';
import { UnauthenticatedError } from '../errors.js';
import type { Clock } from '../clock.js';
import type { UserRecord } from '../users/user.model.js';
import type { UsersRepository } from '../users/user.repository.js';
import { lookupEmail, normalizeEmail } from '../users/user.validation.js';
import { UserAlreadyExistsError } from '../users/user.error.js';
import type { PasswordHasher } from './password.hasher.js';
import type { TokenService } from './token.service.js';

export interface AuthPayload {
  accessToken: string;
  expiresAt: Date;
  user: UserRecord;
}

export class AuthService {
  constructor(
    private readonly repository: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly clock: Clock,
    private readonly loginPolicy: (user: UserRecord, now: Date) => boolean = (user) => user.isActive,
  ) {}

  async login(email: string, password: string): Promise<AuthPayload> {
    // An email no account can have (NUL, control characters) is refused before the database
    // sees it; that says nothing about which accounts exist.
    const found = await this.repository.findCredentials(lookupEmail(email, 'email'));
    const ok = await this.hasher.verify(password, found?.passwordHash);
    const now = this.clock.now();
    if (!found || !ok || !this.loginPolicy(found.user, now)) {
      throw new UnauthenticatedError('Invalid email or password');
    }
    const user = await this.repository.recordLogin(found.user.id, now);
    return this.tokenFor(user);
  }

  /** A token for `user`, restricted while their password must be changed. */
  async tokenFor(user: UserRecord): Promise<AuthPayload> {
    const { token, expiresAt } = await this.tokens.issue(user.id, [user.role], undefined, user.passwordChangeRequired);
    return { accessToken: token, expiresAt, user };
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
    if ((await this.repository.countAll()) > 0) return undefined;
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
