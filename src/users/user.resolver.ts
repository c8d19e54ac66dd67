// Thin: decode arguments, call the service, return. Authorization decisions are declared here.
import type { GraphQLResolveInfo } from 'graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Authorized, UserAccess } from '../auth/auth.checker.js';
import { canReadUser } from '../auth/policy.js';
import { principalOf, type Context } from '../http/context.js';
import { CreateUserInput, UpdateMeInput, UpdateUserInput } from './user.input.js';
import { User } from './user.type.js';
import { PageInfo, UserConnection, UserFilter, UserOrder, UserStatusEnum } from './listing/listing.type.js';
import { selectedFieldNames } from '../graphql-selection.js';
import { RECORD_FIELDS, userStatus, type RecordField } from './user.columns.js';
import type { UserRecord, UserStatus } from './user.model.js';

@ArgsType()
class UsersArgs {
  @Field(() => Int, { nullable: true, description: 'Page size going forward, 1..100 (default 20).' })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;

  @Field(() => Int, { nullable: true, description: 'Page size going backward, 1..100.' })
  last?: number | null;

  @Field(() => String, { nullable: true })
  before?: string | null;

  @Field(() => UserFilter, { nullable: true })
  filter?: UserFilter | null;

  @Field(() => [UserOrder], { nullable: true, description: 'Default: CREATED_AT DESC. Ties broken by id.' })
  orderBy?: UserOrder[] | null;
}

const RELATED = 'null when there is none, or when you may not read that user (as with user(id): a USER reads only themselves).';

@Resolver(() => User)
export class UserResolver {
  @Authorized('self.read')
  @Query(() => User, { description: 'The caller (any role).' })
  me(@Ctx() ctx: Context, @Info() info: GraphQLResolveInfo): Promise<UserRecord> {
    return ctx.services.users.me(principalOf(ctx), recordFieldsFor(selectedFieldNames(info, [])));
  }

  @Authorized('self.read')
  @Query(() => User, {
    nullable: true,
    description: 'ADMIN and VIEWER: any user; USER: only their own id (FORBIDDEN otherwise). null when absent or soft-deleted.',
  })
  user(@Arg('id', () => ID) id: string, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo): Promise<UserRecord | null> {
    return ctx.services.users.getById(principalOf(ctx), id, recordFieldsFor(selectedFieldNames(info, [])));
  }

  @Authorized('users.read')
  @Query(() => User, { nullable: true, description: 'Case-insensitive; null when absent or soft-deleted.' })
  userByEmail(@Arg('email') email: string, @Ctx() ctx: Context): Promise<UserRecord | null> {
    return ctx.services.users.getByEmail(principalOf(ctx), email);
  }

  @Authorized('users.read')
  @Query(() => UserConnection, { description: 'Keyset-paginated, filterable, searchable, sortable listing.' })
  async users(@Args() args: UsersArgs, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo): Promise<UserConnection> {
    return ctx.services.users.list(principalOf(ctx), args, recordFieldsFor(selectedFieldNames(info, ['edges', 'node'])));
  }

  @Authorized('users.write')
  @Mutation(() => User)
  createUser(@Arg('input', () => CreateUserInput) input: CreateUserInput, @Ctx() ctx: Context): Promise<UserRecord> {
    return ctx.services.users.create(principalOf(ctx), { ...input });
  }

  @Authorized('users.write')
  @Mutation(() => User, { description: 'Partial update. With expectedVersion, fails with USER_MANAGEMENT_VERSION_CONFLICT if the user changed meanwhile.' })
  updateUser(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateUserInput) input: UpdateUserInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion: number | null,
    @Ctx() ctx: Context,
  ): Promise<UserRecord> {
    return ctx.services.users.update(principalOf(ctx), id, { ...input }, expectedVersion);
  }

  @Authorized('users.read')
  @Query(() => User, { nullable: true, description: 'Exact and case-sensitive; null when absent or soft-deleted.' })
  userByExternalId(@Arg('externalId') externalId: string, @Ctx() ctx: Context): Promise<UserRecord | null> {
    return ctx.services.users.getByExternalId(principalOf(ctx), externalId);
  }

  @Authorized('users.write')
  @Mutation(() => User, {
    description:
      'Applies an RFC 7396 JSON merge patch to attributes: objects merge key by key, null removes a key. With expectedVersion, fails with USER_MANAGEMENT_VERSION_CONFLICT if the user changed meanwhile.',
  })
  patchUserAttributes(
    @Arg('id', () => ID) id: string,
    @Arg('patch', () => GraphQLJSON) patch: unknown,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion: number | null,
    @Ctx() ctx: Context,
  ): Promise<UserRecord> {
    return ctx.services.users.patchAttributes(principalOf(ctx), id, patch, expectedVersion);
  }

  @Authorized('users.write')
  @Mutation(() => User, { description: 'Soft delete: the row stays with deletedAt set; the email becomes free again.' })
  deleteUser(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<UserRecord> {
    return ctx.services.lifecycle.delete(principalOf(ctx), id);
  }

  @Authorized('self.update')
  @Mutation(() => User, { description: 'Change your own profile fields (any role).' })
  updateMe(@Arg('input', () => UpdateMeInput) input: UpdateMeInput, @Ctx() ctx: Context): Promise<UserRecord> {
    return ctx.services.users.updateMe(principalOf(ctx), { ...input });
  }

  @FieldResolver(() => UserStatusEnum, { description: 'Derived: ERASED, else DELETED, else SUSPENDED (until `suspendedUntil` passes), else INACTIVE or ACTIVE.' })
  status(@Root() user: UserRecord, @Ctx() ctx: Context): UserStatus {
    return userStatus(user, ctx.services.clock.now());
  }

  @UserAccess('canRead')
  @FieldResolver(() => User, { nullable: true, description: RELATED })
  createdBy(@Root() user: UserRecord, @Ctx() ctx: Context): Promise<UserRecord | null> | null {
    return readableUser(ctx, user.createdById);
  }

  @UserAccess('canRead')
  @FieldResolver(() => User, { nullable: true, description: RELATED })
  updatedBy(@Root() user: UserRecord, @Ctx() ctx: Context): Promise<UserRecord | null> | null {
    return readableUser(ctx, user.updatedById);
  }

  @UserAccess('canRead')
  @FieldResolver(() => User, { nullable: true, description: RELATED })
  deletedBy(@Root() user: UserRecord, @Ctx() ctx: Context): Promise<UserRecord | null> | null {
    return readableUser(ctx, user.deletedById);
  }
}

/** What the User fields that are not record fields read from the record. */
const FIELD_NEEDS: Record<string, readonly RecordField[]> = {
  __typename: [],
  status: ['erasedAt', 'deletedAt', 'isActive', 'suspendedAt', 'suspendedUntil'],
  createdBy: ['createdById'],
  updatedBy: ['updatedById'],
  deletedBy: ['deletedById'],
};

/**
 * The record fields that User fields `names` read; undefined (read them all) when one of them is
 * not known here, so a new field resolver is never handed a record without what it reads.
 */
export function recordFieldsFor(names: Iterable<string>): RecordField[] | undefined {
  const fields: RecordField[] = [];
  for (const name of names) {
    const needs = FIELD_NEEDS[name] ?? (RECORD_FIELDS.includes(name as RecordField) ? [name as RecordField] : undefined);
    if (!needs) return undefined;
    fields.push(...needs);
  }
  return fields;
}

/** The user with this id when the caller may read them (canReadUser), else null. */
function readableUser(ctx: Context, id: string | null): Promise<UserRecord | null> | null {
  return id && canReadUser(ctx.principal, id) ? ctx.loaders.userById.load(id) : null;
}

@Resolver(() => UserConnection)
export class UserConnectionResolver {
  @FieldResolver(() => Int, { description: 'Users matching the filter (all pages). Computed only when selected.' })
  totalCount(@Root() connection: UserConnection): Promise<number> {
    return connection.totalCount();
  }
}

@Resolver(() => PageInfo)
export class PageInfoResolver {
  @FieldResolver(() => Boolean, { description: 'Paging backward from a cursor this takes one more statement, run only when selected.' })
  hasNextPage(@Root() pageInfo: PageInfo): Promise<boolean> {
    return pageInfo.hasNextPage();
  }

  @FieldResolver(() => Boolean, { description: 'Paging forward from a cursor this takes one more statement, run only when selected.' })
  hasPreviousPage(@Root() pageInfo: PageInfo): Promise<boolean> {
    return pageInfo.hasPreviousPage();
  }
}
