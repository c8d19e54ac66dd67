// Thin: the event log query and the subscriptions. Each subscription opens its own stream on the
// events service (filtered by type and user), so one subscriber never sees another's backlog.
// The per-kind subscriptions (userCreated, ...) are generated from the registry (event.registry.ts).
import { Arg, Args, ArgsType, Ctx, Field, ID, Int, Query, Resolver, Root, Subscription, type ClassType, type SubscribeResolverData } from 'type-graphql';
import { Authorized } from '../auth/auth.checker.js';
import { principalOf, type Context } from '../http/context.js';
import { USER_EVENT_KINDS, type KindSubscription } from './event.registry.js';
import type { StreamArgs } from './event.service.js';
import { eventObjectType, toGraphQLEvent, UserEventConnection, UserEventInterface, UserEventTypeEnum, type GraphQLUserEvent } from './event.type.js';
import type { StreamItem } from './event.stream.js';
import { USER_EVENT_TYPES, type UserEventType } from './user-event.model.js';

@ArgsType()
class UserEventLogArgs {
  @Field(() => ID, { nullable: true, description: 'Only events about this user.' })
  userId?: string | null;

  @Field(() => [UserEventTypeEnum], { nullable: true, description: 'Only these kinds of event.' })
  types?: UserEventType[] | null;

  @Field(() => Int, { nullable: true, description: 'Page size, 1..500 (default 50).' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'A sequence: events after it. Omit to start at the oldest.' })
  after?: string | null;
}

@ArgsType()
class UserEventsArgs {
  @Field(() => [UserEventTypeEnum], { nullable: true, description: 'Only these kinds of event (default: all).' })
  types?: UserEventType[] | null;

  @Field(() => ID, { nullable: true, description: 'Only events about this user.' })
  userId?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Replay stored events after this sequence first, then continue live with no gap and no duplicate. Omit for live events only.',
  })
  after?: string | null;
}

type SubscribeData = SubscribeResolverData<unknown, Record<string, unknown>, Context>;

/** A `subscribe` function for events of one type (and optionally one user). */
function streamOf(type: UserEventType | undefined, userIdArg?: string) {
  return ({ args, context }: SubscribeData) => {
    const streamArgs: StreamArgs = type ? { types: [type] } : (args);
    if (userIdArg) streamArgs.userId = (args[userIdArg] as string | null | undefined) ?? null;
    return context.services.events.stream(principalOf(context), streamArgs);
  };
}

@Resolver()
export class EventResolver {
  @Authorized('events.read')
  @Query(() => UserEventConnection, { description: 'The audit log of user events, oldest first.' })
  async userEventLog(@Args() args: UserEventLogArgs, @Ctx() ctx: Context): Promise<UserEventConnection> {
    const page = await ctx.services.events.log(principalOf(ctx), args);
    const edges = page.events.map((e) => ({ cursor: e.sequence.toString(), node: toGraphQLEvent(e) }));
    return {
      edges,
      pageInfo: { hasNextPage: page.hasNextPage, hasPreviousPage: false, startCursor: edges[0]?.cursor ?? null, endCursor: page.endCursor },
    };
  }

  @Authorized('events.read')
  @Subscription(() => UserEventInterface, {
    subscribe: streamOf(undefined),
    description: 'Every kind of event (or some), optionally for one user; with `after`, replays the log first.',
  })
  userEvents(@Root() event: StreamItem, @Args() _args: UserEventsArgs): GraphQLUserEvent {
    return toGraphQLEvent(event);
  }
}

/** The resolver of one kind's own subscription, as its registry entry describes it. */
function kindSubscriptionResolver(type: UserEventType, subscription: KindSubscription): ClassType {
  const options = {
    name: subscription.field,
    subscribe: streamOf(type, subscription.byUser ? 'userId' : undefined),
    ...(subscription.description ? { description: subscription.description } : {}),
  };
  if (subscription.byUser) {
    @Resolver()
    class OneUserKindSubscription {
      @Authorized('events.read')
      @Subscription(() => eventObjectType(type), options)
      event(@Root() event: StreamItem, @Arg('userId', () => ID, { nullable: true }) _userId: string | null): GraphQLUserEvent {
        return toGraphQLEvent(event);
      }
    }
    return OneUserKindSubscription;
  }
  @Resolver()
  class KindSubscription {
    @Authorized('events.read')
    @Subscription(() => eventObjectType(type), options)
    event(@Root() event: StreamItem): GraphQLUserEvent {
      return toGraphQLEvent(event);
    }
  }
  return KindSubscription;
}

/** One resolver per kind with a subscription of its own (schema.ts lists them with the others). */
export const KIND_SUBSCRIPTION_RESOLVERS = USER_EVENT_TYPES.flatMap((type) => {
  const subscription = USER_EVENT_KINDS[type].subscription;
  return subscription ? [kindSubscriptionResolver(type, subscription)] : [];
});

/**
 * Subscription fields whose stream depends only on their arguments and starts live: every
 * kind's own, and userEvents (unless it has `after`, which replays per subscriber).
 */
export const LIVE_ONLY_SUBSCRIPTIONS: ReadonlySet<string> = new Set([
  ...USER_EVENT_TYPES.flatMap((type) => USER_EVENT_KINDS[type].subscription?.field ?? []),
  'userEvents',
]);
