import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import { Authorized } from '../../auth/auth.checker.js';
import { principalOf, type Context } from '../../http/context.js';
import type { UserStatsData } from './stats.service.js';
import { UserStats } from './stats.type.js';

@Resolver()
export class StatsResolver {
  @Authorized('stats.read')
  @Query(() => UserStats, { description: 'Aggregate counts; the range defaults to the last 30 days.' })
  userStats(
    @Arg('from', () => Date, { nullable: true }) from: Date | null,
    @Arg('to', () => Date, { nullable: true }) to: Date | null,
    @Ctx() ctx: Context,
  ): Promise<UserStatsData> {
    return ctx.services.stats.userStats(principalOf(ctx), { from, to });
  }
}
