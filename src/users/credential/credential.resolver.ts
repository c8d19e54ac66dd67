// Thin: password mutations. Rules live in CredentialService.
import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { Authorized } from '../../auth/auth.checker.js';
import type { AuthPayload as AuthPayloadData } from '../../auth/session.service.js';
import { principalOf, type Context } from '../../http/context.js';
import type { UserRecord } from '../user.model.js';
import { AuthPayload, User } from '../user.type.js';

@Resolver()
export class CredentialResolver {
  @Authorized('users.write')
  @Mutation(() => User, {
    description:
      "Sets a user's password (8 to 72 bytes). With requireChange (default true), their next login gives a token that allows only me and changeMyPassword (PASSWORD_CHANGE_REQUIRED elsewhere).",
  })
  setUserPassword(
    @Arg('id', () => ID) id: string,
    @Arg('password') password: string,
    @Arg('requireChange', () => Boolean, { defaultValue: true }) requireChange: boolean,
    @Ctx() ctx: Context,
  ): Promise<UserRecord> {
    return ctx.services.credentials.setPassword(principalOf(ctx), id, password, requireChange);
  }

  @Authorized('users.write')
  @Mutation(() => User, {
    description:
      "Removes a user's password: no password login (for accounts that sign in through an external identity provider).",
  })
  clearPassword(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<UserRecord> {
    return ctx.services.credentials.clearPassword(principalOf(ctx), id);
  }

  @Authorized('self.password')
  @Mutation(() => AuthPayload, {
    description: 'Changes your own password (any role), given the current one. Clears a required change and returns a new token.',
  })
  changeMyPassword(
    @Arg('currentPassword') currentPassword: string,
    @Arg('newPassword') newPassword: string,
    @Ctx() ctx: Context,
  ): Promise<AuthPayloadData> {
    return ctx.services.credentials.changeMyPassword(principalOf(ctx), currentPassword, newPassword, ctx.client);
  }
}
