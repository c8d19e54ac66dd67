// The rules for users: who may do what, input validation, hashing, optimistic concurrency.
// Transport-agnostic: resolvers, the CSV importer and library callers all come through here.
import type { PasswordHasher } from '../auth/passwords.js';
import { requireRole } from '../auth/guards.js';
import { actorId, type Principal } from '../auth/principal.js';
import { BadUserInputError, ForbiddenError } from '../errors.js';
import type { Clock } from '../clock.js';
import type { UserChanges, UserRecord } from './user.model.js';
import { UserNotFoundError, VersionConflictError } from './users.errors.js';
import type { UsersRepository } from './users.repository.js';
import {
  assertUuid,
  createUserSchema,
  normalizeEmail,
  parseInput,
  profileSchema,
  updateUserSchema,
  type CreateUserInput,
  type ProfileInput,
  type UpdateUserInput,
} from './users.validation.js';
import { ListingService, type ListUsersArgs, type UserPage } from './listing/listing.service.js';

const ADMIN = ['ADMIN'] as const;
const READERS = ['ADMIN', 'VIEWER'] as const;

export class UsersService {
  private readonly listing: ListingService;

  constructor(
    private readonly repository: UsersRepository,
    private readonly hasher: PasswordHasher,
    clock: Clock,
  ) {
    this.listing = new ListingService(repository, clock);
  }

  async me(principal: Principal): Promise<UserRecord> {
    const id = actorId(principal);
    const user = id ? await this.repository.findById(id) : null;
    if (!user) throw new UserNotFoundError(principal.userId);
    return user;
  }

  async getById(principal: Principal, id: string): Promise<UserRecord | null> {
    requireRole(principal, READERS);
    return this.repository.findById(assertUuid(id));
  }

  async getByEmail(principal: Principal, email: string): Promise<UserRecord | null> {
    requireRole(principal, READERS);
    return this.repository.findByEmail(normalizeEmail(email));
  }

  async list(principal: Principal, args: ListUsersArgs): Promise<UserPage> {
    requireRole(principal, READERS);
    if ((args.filter?.deleted ?? 'EXCLUDE') !== 'EXCLUDE' && !principal.roles.includes('ADMIN')) {
      throw new ForbiddenError('filter.deleted INCLUDE and ONLY require role ADMIN');
    }
    return this.listing.page(args);
  }

  async create(principal: Principal, input: CreateUserInput | Record<string, unknown>): Promise<UserRecord> {
    requireRole(principal, ADMIN);
    const data = parseInput(createUserSchema, input, 'input');
    const { password, ...rest } = data;
    const passwordHash = password ? await this.hasher.hash(password) : null;
    return this.repository.insert({ ...rest, passwordHash }, actorId(principal));
  }

  async update(
    principal: Principal,
    id: string,
    input: UpdateUserInput | Record<string, unknown>,
    expectedVersion?: number | null,
  ): Promise<UserRecord> {
    requireRole(principal, ADMIN);
    const userId = assertUuid(id);
    const data = parseInput(updateUserSchema, input, 'input');
    const { password, ...rest } = data;
    const changes: UserChanges = { ...rest };
    if (password !== undefined) changes.passwordHash = password === null ? null : await this.hasher.hash(password);
    if (principal.userId === userId && (changes.role !== undefined && changes.role !== 'ADMIN' || changes.isActive === false)) {
      // An admin locking themselves out is almost always a mistake and hard to undo.
      throw new ForbiddenError('You cannot demote or deactivate yourself');
    }
    return this.applyUpdate(principal, userId, changes, expectedVersion ?? undefined);
  }

  async updateMe(principal: Principal, input: ProfileInput | Record<string, unknown>): Promise<UserRecord> {
    const me = await this.me(principal);
    const changes = parseInput(profileSchema, input, 'input');
    return this.applyUpdate(principal, me.id, changes);
  }

  async delete(principal: Principal, id: string): Promise<UserRecord> {
    requireRole(principal, ADMIN);
    const userId = assertUuid(id);
    if (principal.userId === userId) throw new ForbiddenError('You cannot delete yourself');
    const result = await this.repository.transaction((repo) => repo.softDelete(userId, actorId(principal)));
    if (!result) throw new UserNotFoundError(userId);
    return result.user;
  }

  private async applyUpdate(principal: Principal, id: string, changes: UserChanges, expectedVersion?: number): Promise<UserRecord> {
    if (expectedVersion !== undefined && (!Number.isInteger(expectedVersion) || expectedVersion < 1)) {
      throw BadUserInputError.field('expectedVersion', 'must be a positive integer');
    }
    const outcome = await this.repository.transaction((repo) => repo.update(id, changes, actorId(principal), expectedVersion));
    switch (outcome.kind) {
      case 'updated':
        return outcome.user;
      case 'not_found':
        throw new UserNotFoundError(id);
      case 'version_conflict':
        throw new VersionConflictError(id, expectedVersion ?? outcome.actual, outcome.actual);
    }
  }
}
