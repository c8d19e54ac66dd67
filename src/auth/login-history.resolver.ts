import { Arg, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import { BadUserInputError } from '../errors.js';
import { principalOf, type Context } from '../http/context.js';
import { Authorized } from './auth.checker.js';
import type { LoginHistoryPage } from './login-history.service.js';
import { LoginAttempt, LoginAttemptPage, LoginHistoryFilter } from './login-history.type.js';

@Resolver()
export class LoginHistoryResolver {
  @Authorized('loginHistory.read')
  @Query(() => LoginAttemptPage, { description: "One user's logins and refreshes, successful or not, newest first." })
  async userLoginHistory(
    @Arg('userId', () => ID) userId: string,
    @Arg('first', () => Int, { nullable: true, description: '1-500, default 50.' }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<LoginAttemptPage> {
    return toPage(await ctx.services.loginHistory.userHistory(principalOf(ctx), userId, first, after));
  }

  @Authorized('loginHistory.read')
  @Query(() => LoginAttemptPage, { description: 'Attempts across accounts, newest first; failures unless filter.outcome says SUCCESS.' })
  async loginHistory(
    @Arg('filter', () => LoginHistoryFilter, { nullable: true }) filter: LoginHistoryFilter | null,
    @Arg('first', () => Int, { nullable: true, description: '1-500, default 50.' }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<LoginAttemptPage> {
    const outcome = filter?.outcome ?? null;
    if (outcome !== null && outcome !== 'SUCCESS' && outcome !== 'FAILURE') throw BadUserInputError.field('filter.outcome', 'must be SUCCESS or FAILURE');
    return toPage(await ctx.services.loginHistory.history(principalOf(ctx), { ...filter, outcome }, first, after));
  }
}

function toPage(page: LoginHistoryPage): LoginAttemptPage {
  return {
    nodes: page.attempts.map((a): LoginAttempt => ({ ...a, id: a.id.toString() })),
    hasNextPage: page.hasNextPage,
    endCursor: page.endCursor,
  };
}
