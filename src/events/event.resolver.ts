// Thin: the event log query and the subscriptions. Each subscription opens its own stream on the
// events service (filtered by type and user), so one subscriber never sees another's backlog.
import { Arg, Args, ArgsType, Ctx, Field, ID, Int, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { Authorized } from '../auth/auth-checker.js';
import { principalOf, type Context } from '../context.js';
import type { StreamArgs } from './events.service.js';
import {
  toGraphQLEvent,
  UserBulkActionEvent,
  UserActivatedEvent,
  UserCreatedEvent,
  UserDeactivatedEvent,
  UserDeletedEvent,
  UserEventConnection,
  UserEventInterface,
  UserEventTypeEnum,
  UserSuspendedEvent,
  UserUpdatedEvent,
  type GraphQLUserEvent,
} from './event.types.js';
import type { StreamItem } from './event-stream.js';
import type { UserEventType } from './user-event.model.js';

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
    return {
      edges: page.events.map((e) => ({ cursor: e.sequence.toString(), node: toGraphQLEvent(e) })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
    };
  }

  @Authorized('events.read')
  @Subscription(() => UserCreatedEvent, { subscribe: streamOf('USER_CREATED') })
  userCreated(@Root() event: StreamItem): GraphQLUserEvent {
    return toGraphQLEvent(event);
  }

  @Authorized('events.read')
  @Subscription(() => UserUpdatedEvent, { subscribe: streamOf('USER_UPDATED', 'userId'), description: 'All updates, or those of one user.' })
  userUpdated(@Root() event: StreamItem, @Arg('userId', () => ID, { nullable: true }) _userId: string | null): GraphQLUserEvent {
    return toGraphQLEvent(event);
  }

  @Authorized('events.read')
  @Subscription(() => UserDeletedEvent, { subscribe: streamOf('USER_DELETED') })
  userDeleted(@Root() event: StreamItem): GraphQLUserEvent {
    return toGraphQLEvent(event);
  }

  @Authorized('events.read')
  @Subscription(() => UserActivatedEvent, { subscribe: streamOf('USER_ACTIVATED') })
  userActivated(@Root() event: StreamItem): GraphQLUserEvent {
    return toGraphQLEvent(event);
  }

  @Authorized('events.read')
  @Subscription(() => UserDeactivatedEvent, { subscribe: streamOf('USER_DEACTIVATED') })
  userDeactivated(@Root() event: StreamItem): GraphQLUserEvent {
    return toGraphQLEvent(event);
  }

  @Authorized('events.read')
  @Subscription(() => UserSuspendedEvent, { subscribe: streamOf('USER_SUSPENDED') })
  userSuspended(@Root() event: StreamItem): GraphQLUserEvent {
    return toGraphQLEvent(event);
  }

  @Authorized('events.read')
  @Subscription(() => UserBulkActionEvent, { subscribe: streamOf('USER_BULK_ACTION') })
  userBulkAction(@Root() event: StreamItem): GraphQLUserEvent {
    return toGraphQLEvent(event);
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
