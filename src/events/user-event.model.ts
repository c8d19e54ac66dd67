// Domain events about users, as stored in user_events and delivered to subscribers.
// Payload names follow the seed package (UserCreated { userId, email, createdBy }, ...). Actor
// fields hold the principal's subject: a user id, "system", or an external IdP's subject.

export const USER_EVENT_TYPES = [
  'USER_CREATED',
  'USER_UPDATED',
  'USER_DELETED',
  'USER_RESTORED',
  'USER_ACTIVATED',
  'USER_DEACTIVATED',
  'USER_SUSPENDED',
  'USER_UNSUSPENDED',
  'USER_BULK_ACTION',
] as const;
export type UserEventType = (typeof USER_EVENT_TYPES)[number];

export const BULK_ACTIONS = ['ACTIVATE', 'DEACTIVATE', 'DELETE', 'SUSPEND', 'IMPORT'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** One changed field of a UserUpdated event. Values are rendered as strings (null stays null). */
export interface FieldChange {
  field: string;
  from: string | null;
  to: string | null;
}

export interface UserEventPayloads {
  USER_CREATED: { userId: string; email: string; createdBy: string | null };
  /** Never carries a password or its hash: only whether it changed. */
  USER_UPDATED: { userId: string; changes: FieldChange[]; passwordChanged: boolean; updatedBy: string | null };
  USER_DELETED: { userId: string; deletedBy: string | null };
  USER_RESTORED: { userId: string; restoredBy: string | null };
  USER_ACTIVATED: { userId: string; activatedBy: string | null };
  USER_DEACTIVATED: { userId: string; deactivatedBy: string | null };
  USER_SUSPENDED: { userId: string; reason: string; until: Date | null; suspendedBy: string | null };
  /** `expired`: the suspension reached its `until` (unsuspendedBy is then null). */
  USER_UNSUSPENDED: { userId: string; unsuspendedBy: string | null; expired: boolean };
  USER_BULK_ACTION: { action: BulkAction; userIds: string[]; performedBy: string | null };
}

/** An event before it is stored: what services hand to the EventRecorder. */
export type NewUserEvent = { [K in UserEventType]: { type: K; payload: UserEventPayloads[K] } }[UserEventType];

interface Stored {
  /** Event id (UUID), unique. */
  id: string;
  /** Position in the log: commit order, strictly increasing, gaps possible (rolled back work). */
  sequence: bigint;
  occurredAt: Date;
  /** The user the event is about; null for UserBulkAction. */
  userId: string | null;
  actorId: string | null;
}

/** A stored event, as subscribers and `onUserEvent` handlers receive it. */
export type UserEvent = { [K in UserEventType]: Stored & { type: K; payload: UserEventPayloads[K] } }[UserEventType];
export type UserEventOf<K extends UserEventType> = Extract<UserEvent, { type: K }>;

export function eventUserId(event: NewUserEvent): string | null {
  return event.type === 'USER_BULK_ACTION' ? null : event.payload.userId;
}

export function eventActorId(event: NewUserEvent): string | null {
  const p = event.payload as Record<string, unknown>;
  const actor = p.createdBy ?? p.updatedBy ?? p.deletedBy ?? p.restoredBy ?? p.activatedBy ?? p.deactivatedBy ?? p.suspendedBy ?? p.unsuspendedBy ?? p.performedBy;
  return typeof actor === 'string' ? actor : null;
}

/** The largest sequence the column (PostgreSQL bigint) can hold. */
const MAX_SEQUENCE = 2n ** 63n - 1n;

/**
 * Cursor strings are the decimal sequence: what `userEvents(after:)` and `userEventLog(after:)`
 * take. Out of bigint's range is not a cursor (the database would refuse the parameter).
 */
export function parseSequence(cursor: string): bigint | undefined {
  if (!/^\d{1,19}$/.test(cursor)) return undefined;
  const sequence = BigInt(cursor);
  return sequence <= MAX_SEQUENCE ? sequence : undefined;
}

/** JSON form of an event (Redis messages); dates as ISO strings, sequence as a decimal string. */
export interface WireUserEvent {
  id: string;
  sequence: string;
  type: UserEventType;
  occurredAt: string;
  userId: string | null;
  actorId: string | null;
  payload: Record<string, unknown>;
}

export function toWire(event: UserEvent): WireUserEvent {
  return {
    id: event.id,
    sequence: event.sequence.toString(),
    type: event.type,
    occurredAt: event.occurredAt.toISOString(),
    userId: event.userId,
    actorId: event.actorId,
    payload: payloadToJson(event.type, event.payload),
  };
}

export function fromWire(wire: WireUserEvent): UserEvent {
  return {
    id: wire.id,
    sequence: BigInt(wire.sequence),
    type: wire.type,
    occurredAt: new Date(wire.occurredAt),
    userId: wire.userId,
    actorId: wire.actorId,
    payload: payloadFromJson(wire.type, wire.payload),
  } as UserEvent;
}

/** The stored JSON of a payload (dates as ISO strings). */
export function payloadToJson(type: UserEventType, payload: NewUserEvent['payload']): Record<string, unknown> {
  if (type === 'USER_SUSPENDED') {
    const p = payload as UserEventPayloads['USER_SUSPENDED'];
    return { ...p, until: p.until ? p.until.toISOString() : null };
  }
  return { ...payload };
}

export function payloadFromJson(type: UserEventType, json: Record<string, unknown>): NewUserEvent['payload'] {
  if (type === 'USER_SUSPENDED') {
    return { ...json, until: typeof json.until === 'string' ? new Date(json.until) : null } as UserEventPayloads['USER_SUSPENDED'];
  }
  return json as NewUserEvent['payload'];
}
