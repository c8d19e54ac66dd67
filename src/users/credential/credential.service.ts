// Passwords after creation: an admin sets one (optionally to be changed at the next login) or
// removes it (accounts that log in through an external identity provider); a user changes their
// own, knowing the current one. Each is one USER_PASSWORD_CHANGED event, never with the password.
import type { AuthService } from '../../auth/auth.service.js';
import type { AuthPayload, ClientInfo } from '../../auth/session.service.js';
import type { PasswordHasher } from '../../auth/password.hasher.js';
import { assertCan } from '../../auth/policy.js';
import { actorId, type Principal } from '../../auth/principal.js';
import type { Clock } from '../../clock.js';
import { BadUserInputError } from '../../errors.js';
import type { EventsService } from '../../events/event.service.js';
import type { UserRecord } from '../user.model.js';
import { UserNotFoundError } from '../user.error.js';
import type { UsersRepository } from '../user.repository.js';
import { assertUuid, parseInput, passwordRule } from '../user.validation.js';

export class CredentialService {
  constructor(
    private readonly repository: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly auth: AuthService,
    private readonly events: EventsService,
    private readonly clock: Clock,
  ) {}

  /** ADMIN: a new password; with requireChange (the default) the user must change it at the next login. */
  async setPassword(principal: Principal, id: string, password: string, requireChange = true): Promise<UserRecord> {
    assertCan(principal, 'users.write');
    const userId = assertUuid(id);
    const hash = await this.hasher.hash(parseInput(passwordRule, password, 'password'));
    return this.write(principal, userId, hash, requireChange);
  }

  /** ADMIN: removes the password (no password login; an external identity provider's tokens still work). */
  async clearPassword(principal: Principal, id: string): Promise<UserRecord> {
    assertCan(principal, 'users.write');
    return this.write(principal, assertUuid(id), null, false);
  }

  /**
   * Any signed-in user: a new password for themselves, given the current one. Clears a required
   * change, and returns a fresh token (one that a required change no longer restricts).
   */
  async changeMyPassword(principal: Principal, currentPassword: string, newPassword: string, client?: ClientInfo): Promise<AuthPayload> {
    assertCan(principal, 'self.password');
    const id = actorId(principal);
    const found = id ? await this.repository.findCredentialsById(id) : null;
    if (!found) throw new UserNotFoundError(principal.userId);
    const next = parseInput(passwordRule, newPassword, 'newPassword');
    if (!(await this.hasher.verify(currentPassword, found.passwordHash))) {
      throw BadUserInputError.field('currentPassword', 'is not your current password');
    }
    if (next === currentPassword) throw BadUserInputError.field('newPassword', 'must differ from the current password');
    const user = await this.write(principal, found.user.id, await this.hasher.hash(next), false);
    return this.auth.tokenFor(user, client);
  }

  private async write(principal: Principal, id: string, hash: string | null, requireChange: boolean): Promise<UserRecord> {
    const { user, stored } = await this.repository.transaction(async (repo, tx) => {
      const user = await repo.setPassword(id, hash, requireChange, actorId(principal), this.clock.now());
      if (!user) return { user, stored: [] };
      const stored = await this.events.record(tx, {
        type: 'USER_PASSWORD_CHANGED',
        actor: principal.userId,
        payload: { userId: id, requireChange, cleared: hash === null },
      });
      return { user, stored };
    });
    this.events.committed(stored);
    if (!user) throw new UserNotFoundError(id);
    return user;
  }
}
