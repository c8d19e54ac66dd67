// Thin: lifecycle and bulk mutations. Rules live in LifecycleService.
import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { Authorized } from '../../auth/auth.checker.js';
import { principalOf, type Context } from '../../http/context.js';
import type { UserRecord } from '../user.model.js';
import { User } from '../user.type.js';
import type { BulkActionResult as BulkActionResultData } from './lifecycle.service.js';
import { BulkActionResult } from './lifecycle.type.js';

const IDS = { description: 'At most 1,000; repeated ids count once; malformed or inapplicable ids are reported in `failed`.' };

@Resolver()
export class LifecycleResolver {
  @Authorized('users.write')
  @Mutation(() => User, { description: 'Lets the user log in again. Already active: no change.' })
  activateUser(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<UserRecord> {
    return ctx.services.lifecycle.activate(principalOf(ctx), id);
  }

  @Authorized('users.write')
  @Mutation(() => User, { description: 'The user can no longer log in. Already inactive: no change.' })
  deactivateUser(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<UserRecord> {
    return ctx.services.lifecycle.deactivate(principalOf(ctx), id);
  }

  @Authorized('users.write')
  @Mutation(() => User, {
    description: 'Suspends an active user (USER_MANAGEMENT_USER_INACTIVE if deactivated). With `until`, the suspension ends by itself then. Suspending again replaces reason and until.',
  })
  suspendUser(
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String, { description: 'Up to 500 characters.' }) reason: string,
    @Arg('until', () => Date, { nullable: true, description: 'Must be in the future; omit for an open-ended suspension.' }) until: Date | null,
    @Ctx() ctx: Context,
  ): Promise<UserRecord> {
    return ctx.services.lifecycle.suspend(principalOf(ctx), id, reason, until);
  }

  @Authorized('users.write')
  @Mutation(() => User, { description: 'Ends a suspension now. Not suspended: no change.' })
  unsuspendUser(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<UserRecord> {
    return ctx.services.lifecycle.unsuspend(principalOf(ctx), id);
  }

  @Authorized('users.write')
  @Mutation(() => User, { description: 'Clears a login lock (lockedUntil) and the failure count of the email; records UserUnlocked.' })
  unlockUser(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<UserRecord> {
    return ctx.services.auth.unlock(principalOf(ctx), id);
  }

  @Authorized('users.write')
  @Mutation(() => User, { description: 'Undoes a soft delete. USER_MANAGEMENT_USER_ALREADY_EXISTS if a live user has taken the email meanwhile.' })
  restoreUser(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<UserRecord> {
    return ctx.services.lifecycle.restore(principalOf(ctx), id);
  }

  @Authorized('users.write')
  @Mutation(() => BulkActionResult)
  bulkActivateUsers(@Arg('ids', () => [ID], IDS) ids: string[], @Ctx() ctx: Context): Promise<BulkActionResultData> {
    return ctx.services.lifecycle.bulkActivate(principalOf(ctx), ids);
  }

  @Authorized('users.write')
  @Mutation(() => BulkActionResult)
  bulkDeactivateUsers(@Arg('ids', () => [ID], IDS) ids: string[], @Ctx() ctx: Context): Promise<BulkActionResultData> {
    return ctx.services.lifecycle.bulkDeactivate(principalOf(ctx), ids);
  }

  @Authorized('users.write')
  @Mutation(() => BulkActionResult, { description: 'Soft-deletes the users (see deleteUser).' })
  bulkDeleteUsers(@Arg('ids', () => [ID], IDS) ids: string[], @Ctx() ctx: Context): Promise<BulkActionResultData> {
    return ctx.services.lifecycle.bulkDelete(principalOf(ctx), ids);
  }

  @Authorized('users.write')
  @Mutation(() => BulkActionResult)
  bulkSuspendUsers(
    @Arg('ids', () => [ID], IDS) ids: string[],
    @Arg('reason', () => String) reason: string,
    @Arg('until', () => Date, { nullable: true }) until: Date | null,
    @Ctx() ctx: Context,
  ): Promise<BulkActionResultData> {
    return ctx.services.lifecycle.bulkSuspend(principalOf(ctx), ids, reason, until);
  }
}
