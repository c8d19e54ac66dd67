// The table of user event kinds. Everything else about a kind is derived from its entry here:
// the list of types (the UserEventType enum, userEvents(types:)), the payload types, the
// envelope's user (user_events.user_id, the userId filters), which payload field shows the actor,
// how a payload is stored as JSON and revived (the user_events column, the Redis messages), the
// GraphQL object type it resolves to, and its own live subscription, if it has one.
//
// To add a kind, say USER_RENAMED:
//   1. Add its entry below: the payload as subscribers see it (actor field included), the GraphQL
//      type name, the payload field that shows the actor, the payload field naming the user it is
//      about (null when it is about several), the fields that hold dates, and its subscription
//      field (null: it is delivered through userEvents only).
//   2. Declare its GraphQL object type in event.type.ts: a class decorated with
//      @UserEventObjectType('USER_RENAMED') with one @Field per payload field.
//   3. Record it where the change happens, in the change's transaction:
//      events.record(tx, { type: 'USER_RENAMED', actor: principal.userId, payload: { userId, ... } }).
// Then `npm run schema:emit`. tests/unit/event-registry.test.ts fails if the class and the entry
// disagree (a missing field, a date that is not a DateTime, a subscription of the wrong type).
import type { BulkAction, FieldChange } from './user-event.model.js';

/** Keys of P whose values are V (optional keys excluded: an entry names fields every event has). */
type FieldsOf<P, V> = { [K in keyof P]-?: P[K] extends V ? K : never }[keyof P] & string;

/** A kind's own live subscription: its field, and whether it takes an optional userId argument. */
export interface KindSubscription {
  field: string;
  byUser?: boolean;
  description?: string;
}

/** An entry as code that handles every kind reads it (field names as plain strings). */
export interface EventKind {
  graphqlType: string;
  actor: string;
  user: string | null;
  dates: readonly string[];
  subscription: KindSubscription | null;
}

/** An entry as written below: field names checked against the kind's payload type P. */
export interface EventKindSpec<P> extends EventKind {
  /** The GraphQL object type's name (its class in event.type.ts takes it from here). */
  graphqlType: string;
  /**
   * The payload field that shows the actor: the subject of the caller's token (a user id,
   * "system" for operator tools, an external identity provider's subject), null for automatic
   * changes. Services pass the actor in the event's envelope (`actor`), never in the payload; it
   * is stored in user_events.actor_id and shown under this name in the payload and in GraphQL.
   */
  actor: FieldsOf<P, string | null>;
  /** The payload field with the id of the user the event is about; null when it is about several. */
  user: FieldsOf<P, string> | null;
  /** Payload fields holding a Date (or null): ISO strings in the stored JSON, revived on read. */
  dates: readonly FieldsOf<P, Date | null>[];
  /**
   * The kind's own live subscription (userCreated, ...); `byUser` gives it an optional userId
   * argument. null: subscribers get this kind through userEvents only.
   */
  subscription: KindSubscription | null;
}

/**
 * One entry. The payload type comes first, as a type argument, so that the checks above
 * (the actor is a string field of it, dates are Date fields, ...) apply to the entry.
 */
function kind<P extends object>() {
  return <const S extends EventKindSpec<P>>(spec: S): S & { readonly payloadType?: P } => spec;
}

export const USER_EVENT_KINDS = {
  USER_CREATED: kind<{ userId: string; email: string; createdBy: string | null }>()({
    graphqlType: 'UserCreated',
    actor: 'createdBy',
    user: 'userId',
    dates: [],
    subscription: { field: 'userCreated' },
  }),
  /** Never carries a password or its hash: only whether it changed. */
  USER_UPDATED: kind<{ userId: string; changes: FieldChange[]; passwordChanged: boolean; updatedBy: string | null }>()({
    graphqlType: 'UserUpdated',
    actor: 'updatedBy',
    user: 'userId',
    dates: [],
    subscription: { field: 'userUpdated', byUser: true, description: 'All updates, or those of one user.' },
  }),
  USER_DELETED: kind<{ userId: string; deletedBy: string | null }>()({
    graphqlType: 'UserDeleted',
    actor: 'deletedBy',
    user: 'userId',
    dates: [],
    subscription: { field: 'userDeleted' },
  }),
  USER_RESTORED: kind<{ userId: string; restoredBy: string | null }>()({
    graphqlType: 'UserRestored',
    actor: 'restoredBy',
    user: 'userId',
    dates: [],
    subscription: null,
  }),
  USER_ACTIVATED: kind<{ userId: string; activatedBy: string | null }>()({
    graphqlType: 'UserActivated',
    actor: 'activatedBy',
    user: 'userId',
    dates: [],
    subscription: { field: 'userActivated' },
  }),
  USER_DEACTIVATED: kind<{ userId: string; deactivatedBy: string | null }>()({
    graphqlType: 'UserDeactivated',
    actor: 'deactivatedBy',
    user: 'userId',
    dates: [],
    subscription: { field: 'userDeactivated' },
  }),
  USER_SUSPENDED: kind<{ userId: string; reason: string; until: Date | null; suspendedBy: string | null }>()({
    graphqlType: 'UserSuspended',
    actor: 'suspendedBy',
    user: 'userId',
    dates: ['until'],
    subscription: { field: 'userSuspended' },
  }),
  /** `expired`: the suspension reached its `until` (the actor is then null). */
  USER_UNSUSPENDED: kind<{ userId: string; unsuspendedBy: string | null; expired: boolean }>()({
    graphqlType: 'UserUnsuspended',
    actor: 'unsuspendedBy',
    user: 'userId',
    dates: [],
    subscription: null,
  }),
  /** Too many failed logins: the account is locked until `until` (the actor is null: automatic). */
  USER_LOCKED: kind<{ userId: string; until: Date; lockedBy: string | null }>()({
    graphqlType: 'UserLocked',
    actor: 'lockedBy',
    user: 'userId',
    dates: ['until'],
    subscription: null,
  }),
  /** An admin cleared a login lock (unlockUser). */
  USER_UNLOCKED: kind<{ userId: string; unlockedBy: string | null }>()({
    graphqlType: 'UserUnlocked',
    actor: 'unlockedBy',
    user: 'userId',
    dates: [],
    subscription: null,
  }),
  /**
   * eraseUser (GDPR Art. 17). No personal data: the id, the admin's reason (which the API tells
   * admins must not hold any) and who. Earlier events about the user were scrubbed in the same
   * transaction.
   */
  USER_ERASED: kind<{ userId: string; reason: string; erasedBy: string | null }>()({
    graphqlType: 'UserErased',
    actor: 'erasedBy',
    user: 'userId',
    dates: [],
    subscription: null,
  }),
  /** Sign-in sessions of the user ended (logout, revocation, reuse of a refresh token, or the account's access ended). */
  USER_SESSIONS_REVOKED: kind<{ userId: string; sessionIds: string[]; reason: string; revokedBy: string | null }>()({
    graphqlType: 'UserSessionsRevoked',
    actor: 'revokedBy',
    user: 'userId',
    dates: [],
    subscription: null,
  }),
  /**
   * setUserPassword, changeMyPassword or clearPassword. Never the password or its hash: `cleared`
   * says it was removed, `requireChange` that the user must change it at the next login.
   */
  USER_PASSWORD_CHANGED: kind<{ userId: string; requireChange: boolean; cleared: boolean; changedBy: string | null }>()({
    graphqlType: 'UserPasswordChanged',
    actor: 'changedBy',
    user: 'userId',
    dates: [],
    subscription: null,
  }),
  USER_BULK_ACTION: kind<{ action: BulkAction; userIds: string[]; performedBy: string | null }>()({
    graphqlType: 'UserBulkAction',
    actor: 'performedBy',
    user: null,
    dates: [],
    subscription: { field: 'userBulkAction' },
  }),
  /**
   * A webhook endpoint was disabled after too many failed deliveries (reason MAX_FAILURES) or
   * when one event could not be delivered within WEBHOOK_RETRY_FOR (RETRY_WINDOW). Not about a
   * user; no URL (it may carry a token). Delivered to userEvents subscribers and to webhooks that
   * ask for it, so an operator hears about a dead endpoint through a live one.
   */
  WEBHOOK_DISABLED: kind<{ webhookId: string; reason: string; consecutiveFailures: number; lastDeliveredSequence: string; disabledBy: string | null }>()({
    graphqlType: 'WebhookDisabled',
    actor: 'disabledBy',
    user: null,
    dates: [],
    subscription: null,
  }),
};
