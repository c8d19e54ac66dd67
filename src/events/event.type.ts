// GraphQL shapes of user events: one interface, one object type per event kind (named by the
// registry, event.registry.ts), and the log's connection. Resolvers return GraphQLUserEvent
// values built by toGraphQLEvent().
import { Field, ID, Int, InterfaceType, ObjectType, registerEnumType, type ClassType } from 'type-graphql';
import { asEnum } from '../graphql-enum.js';
import { USER_EVENT_KINDS } from './event.registry.js';
import type { StreamItem } from './event.stream.js';
import { BULK_ACTIONS, USER_EVENT_TYPES, type BulkAction as BulkActionValue, type FieldChange as FieldChangeValue, type UserEventType as UserEventTypeValue } from './user-event.model.js';

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

@InterfaceType('UserEvent', {
  description: 'A stored domain event. Select the fields of each kind with `... on UserSuspended { reason until }`.',
  resolveType: (event: GraphQLUserEvent) => USER_EVENT_KINDS[event.type].graphqlType,
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

const OBJECT_TYPES = new Map<UserEventTypeValue, ClassType>();

/**
 * The object type of one event kind: named by its registry entry, implementing UserEvent, and
 * found by kind for the schema (EVENT_OBJECT_TYPES) and the kind's subscription.
 */
function UserEventObjectType(type: UserEventTypeValue) {
  return (target: ClassType): void => {
    ObjectType(USER_EVENT_KINDS[type].graphqlType, { implements: UserEventInterface })(target);
    OBJECT_TYPES.set(type, target);
  };
}

/** The object type class of a kind (its @UserEventObjectType class below). */
export function eventObjectType(type: UserEventTypeValue): ClassType {
  const target = OBJECT_TYPES.get(type);
  if (!target) throw new Error(`Event kind ${type} has no GraphQL object type: declare a class with @UserEventObjectType('${type}') in event.type.ts`);
  return target;
}

// Actor fields (createdBy, ...) are the subject of the caller's token: a user id, "system" for
// operator tools, or an external identity provider's subject; null for automatic changes.

@UserEventObjectType('USER_CREATED')
export class UserCreatedEvent extends UserEventInterface {
  @Field(() => ID) userId!: string;
  @Field() email!: string;
  @Field(() => ID, { nullable: true }) createdBy!: string | null;
}

@UserEventObjectType('USER_UPDATED')
export class UserUpdatedEvent extends UserEventInterface {
  @Field(() => ID) userId!: string;
  @Field(() => [FieldChange], { description: 'Never includes the password; see passwordChanged.' }) changes!: FieldChange[];
  @Field() passwordChanged!: boolean;
  @Field(() => ID, { nullable: true }) updatedBy!: string | null;
}

@UserEventObjectType('USER_DELETED')
export class UserDeletedEvent extends UserEventInterface {
  @Field(() => ID) userId!: string;
  @Field(() => ID, { nullable: true }) deletedBy!: string | null;
}

@UserEventObjectType('USER_RESTORED')
export class UserRestoredEvent extends UserEventInterface {
  @Field(() => ID) userId!: string;
  @Field(() => ID, { nullable: true }) restoredBy!: string | null;
}

@UserEventObjectType('USER_ACTIVATED')
export class UserActivatedEvent extends UserEventInterface {
  @Field(() => ID) userId!: string;
  @Field(() => ID, { nullable: true }) activatedBy!: string | null;
}

@UserEventObjectType('USER_DEACTIVATED')
export class UserDeactivatedEvent extends UserEventInterface {
  @Field(() => ID) userId!: string;
  @Field(() => ID, { nullable: true }) deactivatedBy!: string | null;
}

@UserEventObjectType('USER_SUSPENDED')
export class UserSuspendedEvent extends UserEventInterface {
  @Field(() => ID) userId!: string;
  @Field() reason!: string;
  @Field(() => Date, { nullable: true, description: 'When the suspension ends by itself; null: until unsuspended.' }) until!: Date | null;
  @Field(() => ID, { nullable: true }) suspendedBy!: string | null;
}

@UserEventObjectType('USER_UNSUSPENDED')
export class UserUnsuspendedEvent extends UserEventInterface {
  @Field(() => ID) userId!: string;
  @Field(() => ID, { nullable: true, description: 'null when the suspension reached its until.' }) unsuspendedBy!: string | null;
  @Field({ description: 'true when the suspension ended at its until rather than by unsuspendUser.' }) expired!: boolean;
}

@UserEventObjectType('USER_LOCKED')
export class UserLockedEvent extends UserEventInterface {
  @Field(() => ID) userId!: string;
  @Field(() => Date, { description: 'When the lock ends by itself.' }) until!: Date;
  @Field(() => ID, { nullable: true, description: 'null: locked automatically after failed logins.' }) lockedBy!: string | null;
}

@UserEventObjectType('USER_UNLOCKED')
export class UserUnlockedEvent extends UserEventInterface {
  @Field(() => ID) userId!: string;
  @Field(() => ID, { nullable: true }) unlockedBy!: string | null;
}

@UserEventObjectType('USER_SESSIONS_REVOKED')
export class UserSessionsRevokedEvent extends UserEventInterface {
  @Field(() => ID) userId!: string;
  @Field(() => [ID], { description: 'The sessions that ended.' }) sessionIds!: string[];
  @Field({ description: 'LOGOUT, LOGOUT_EVERYWHERE, REVOKED, REFRESH_TOKEN_REUSED, PASSWORD_CHANGED, ACCOUNT_DISABLED or ACCOUNT_LOCKED.' }) reason!: string;
  @Field(() => ID, { nullable: true }) revokedBy!: string | null;
}

@UserEventObjectType('USER_ERASED')
export class UserErasedEvent extends UserEventInterface {
  @Field(() => ID) userId!: string;
  @Field({ description: 'Why the admin erased the user (no personal data).' }) reason!: string;
  @Field(() => ID, { nullable: true }) erasedBy!: string | null;
}

@UserEventObjectType('USER_PASSWORD_CHANGED')
export class UserPasswordChangedEvent extends UserEventInterface {
  @Field(() => ID) userId!: string;
  @Field({ description: 'The user must change the password at the next login.' }) requireChange!: boolean;
  @Field({ description: 'The password was removed (clearPassword): no password login.' }) cleared!: boolean;
  @Field(() => ID, { nullable: true, description: 'An admin, or the user themselves (changeMyPassword).' }) changedBy!: string | null;
}

@UserEventObjectType('USER_BULK_ACTION')
export class UserBulkActionEvent extends UserEventInterface {
  @Field(() => BulkActionEnum) action!: BulkActionValue;
  @Field(() => [ID], { description: 'The users this action changed.' }) userIds!: string[];
  @Field(() => ID, { nullable: true }) performedBy!: string | null;
}

@UserEventObjectType('WEBHOOK_DISABLED')
export class WebhookDisabledEvent extends UserEventInterface {
  @Field(() => ID) webhookId!: string;
  @Field({ description: 'MAX_FAILURES (WEBHOOK_MAX_FAILURES attempts in a row failed) or RETRY_WINDOW (one event failed for WEBHOOK_RETRY_FOR).' }) reason!: string;
  @Field(() => Int) consecutiveFailures!: number;
  @Field({ description: 'Events up to this sequence were delivered; re-enabling resumes after it.' }) lastDeliveredSequence!: string;
  @Field(() => ID, { nullable: true, description: 'null: disabled automatically.' }) disabledBy!: string | null;
}

/**
 * Every kind's object type, for buildSchema's orphanedTypes (some are reachable only through the
 * interface). Computed when this module loads: a kind without its class stops the server at start.
 */
export const EVENT_OBJECT_TYPES = USER_EVENT_TYPES.map(eventObjectType);

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

  @Field({ description: 'Always false: the log pages forward only (first/after), for which the Relay spec lets it be false.' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: "The first edge's cursor." })
  startCursor!: string | null;

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
