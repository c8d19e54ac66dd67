// GraphQL shapes of user events: one interface, one object type per event type, and the log's
// connection. Resolvers return GraphQLUserEvent values built by toGraphQLEvent().
import { Field, ID, InterfaceType, ObjectType, registerEnumType } from 'type-graphql';
import type { StreamItem } from './event-stream.js';
import { BULK_ACTIONS, USER_EVENT_TYPES, type BulkAction as BulkActionValue, type FieldChange as FieldChangeValue, type UserEventType as UserEventTypeValue } from './user-event.model.js';

const asEnum = <T extends string>(values: readonly T[]) => Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };

export const UserEventTypeEnum = asEnum(USER_EVENT_TYPES);
registerEnumType(UserEventTypeEnum, { name: 'UserEventType' });
export const BulkActionEnum = asEnum(BULK_ACTIONS);
registerEnumType(BulkActionEnum, { name: 'BulkAction' });

/** What resolvers return for an event: the stored envelope with the payload flattened. */
export type GraphQLUserEvent = { id: string; sequence: string; type: UserEventTypeValue; occurredAt: Date } & Record<string, unknown>;

/** Throws the stream's final error (a slow subscriber, a failed replay), so the client sees it as a GraphQL error. */
export function toGraphQLEvent(event: StreamItem): GraphQLUserEvent {
  if (event instanceof Error) throw event;
  return { ...event.payload, id: event.id, sequence: event.sequence.toString(), type: event.type, occurredAt: event.occurredAt };
}

const GRAPHQL_TYPE: Record<UserEventTypeValue, string> = {
  USER_CREATED: 'UserCreated',
  USER_UPDATED: 'UserUpdated',
  USER_DELETED: 'UserDeleted',
  USER_RESTORED: 'UserRestored',
  USER_ACTIVATED: 'UserActivated',
  USER_DEACTIVATED: 'UserDeactivated',
  USER_SUSPENDED: 'UserSuspended',
  USER_UNSUSPENDED: 'UserUnsuspended',
  USER_BULK_ACTION: 'UserBulkAction',
};

@InterfaceType('UserEvent', {
  description: 'A stored domain event. Select the fields of each kind with `... on UserSuspended { reason until }`.',
  resolveType: (event: GraphQLUserEvent) => GRAPHQL_TYPE[event.type],
})
export abstract class UserEventInterface {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'Position in the log (commit order; a 64-bit integer in decimal). Pass it as `after` to resume after this event.' })
  sequence!: string;

  @Field(() => UserEventTypeEnum)
  type!: UserEventTypeValue;

  @Field(() => Date)
  occurredAt!: Date;
}

@ObjectType({ description: 'One changed field. Values are strings (booleans as "true"/"false"); null means empty.' })
export class FieldChange implements FieldChangeValue {
  @Field()
  field!: string;

  @Field(() => String, { nullable: true })
  from!: string | null;

  @Field(() => String, { nullable: true })
  to!: string | null;
}

// Actor fields (createdBy, ...) are the subject of the caller's token: a user id, "system" for
// operator tools, or an external identity provider's subject; null for automatic changes.

@ObjectType('UserCreated', { implements: UserEventInterface })
export class UserCreatedEvent extends UserEventInterface {
  @Field(() => ID) userId!: string;
  @Field() email!: string;
  @Field(() => ID, { nullable: true }) createdBy!: string | null;
}

@ObjectType('UserUpdated', { implements: UserEventInterface })
export class UserUpdatedEvent extends UserEventInterface {
  @Field(() => ID) userId!: string;
  @Field(() => [FieldChange], { description: 'Never includes the password; see passwordChanged.' }) changes!: FieldChange[];
  @Field() passwordChanged!: boolean;
  @Field(() => ID, { nullable: true }) updatedBy!: string | null;
}

@ObjectType('UserDeleted', { implements: UserEventInterface })
export class UserDeletedEvent extends UserEventInterface {
  @Field(() => ID) userId!: string;
  @Field(() => ID, { nullable: true }) deletedBy!: string | null;
}

@ObjectType('UserRestored', { implements: UserEventInterface })
export class UserRestoredEvent extends UserEventInterface {
  @Field(() => ID) userId!: string;
  @Field(() => ID, { nullable: true }) restoredBy!: string | null;
}

@ObjectType('UserActivated', { implements: UserEventInterface })
export class UserActivatedEvent extends UserEventInterface {
  @Field(() => ID) userId!: string;
  @Field(() => ID, { nullable: true }) activatedBy!: string | null;
}

@ObjectType('UserDeactivated', { implements: UserEventInterface })
export class UserDeactivatedEvent extends UserEventInterface {
  @Field(() => ID) userId!: string;
  @Field(() => ID, { nullable: true }) deactivatedBy!: string | null;
}

@ObjectType('UserSuspended', { implements: UserEventInterface })
export class UserSuspendedEvent extends UserEventInterface {
  @Field(() => ID) userId!: string;
  @Field() reason!: string;
  @Field(() => Date, { nullable: true, description: 'When the suspension ends by itself; null: until unsuspended.' }) until!: Date | null;
  @Field(() => ID, { nullable: true }) suspendedBy!: string | null;
}

@ObjectType('UserUnsuspended', { implements: UserEventInterface })
export class UserUnsuspendedEvent extends UserEventInterface {
  @Field(() => ID) userId!: string;
  @Field(() => ID, { nullable: true, description: 'null when the suspension reached its until.' }) unsuspendedBy!: string | null;
  @Field({ description: 'true when the suspension ended at its until rather than by unsuspendUser.' }) expired!: boolean;
}

@ObjectType('UserBulkAction', { implements: UserEventInterface })
export class UserBulkActionEvent extends UserEventInterface {
  @Field(() => BulkActionEnum) action!: BulkActionValue;
  @Field(() => [ID], { description: 'The users this action changed.' }) userIds!: string[];
  @Field(() => ID, { nullable: true }) performedBy!: string | null;
}

/** Every kind, for buildSchema's orphanedTypes: some are reachable only through the interface. */
export const EVENT_OBJECT_TYPES = [
  UserCreatedEvent,
  UserUpdatedEvent,
  UserDeletedEvent,
  UserRestoredEvent,
  UserActivatedEvent,
  UserDeactivatedEvent,
  UserSuspendedEvent,
  UserUnsuspendedEvent,
  UserBulkActionEvent,
];

@ObjectType()
export class UserEventEdge {
  @Field()
  cursor!: string;

  @Field(() => UserEventInterface)
  node!: GraphQLUserEvent;
}

@ObjectType()
export class UserEventPageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page, or to userEvents to continue live.' })
  endCursor!: string | null;
}

@ObjectType({ description: 'A page of the event log, oldest first.' })
export class UserEventConnection {
  @Field(() => [UserEventEdge])
  edges!: UserEventEdge[];

  @Field(() => UserEventPageInfo)
  pageInfo!: UserEventPageInfo;
}
