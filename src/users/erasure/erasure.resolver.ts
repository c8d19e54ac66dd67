// Thin: eraseUser. Rules live in ErasureService.
import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { Authorized } from '../../auth/auth.checker.js';
import { principalOf, type Context } from '../../http/context.js';
import type { UserRecord } from '../user.model.js';
import { User } from '../user.type.js';

@Resolver()
export class ErasureResolver {
  @Authorized('users.erase')
  @Mutation(() => User, {
    description:
      'GDPR Art. 17: removes the personal data of a live or soft-deleted user, irreversibly. The row keeps its id, timestamps and deletedAt (set now if it was live); the email becomes erased+<id>@invalid, every other personal field null, the status ERASED; the event log keeps no personal value about the user. One USER_ERASED event. `reason` (1-500 characters, no personal data) is recorded on it. Erasing again changes nothing.',
  })
  eraseUser(@Arg('id', () => ID) id: string, @Arg('reason') reason: string, @Ctx() ctx: Context): Promise<UserRecord> {
    return ctx.services.erasure.erase(principalOf(ctx), id, reason);
  }
}
