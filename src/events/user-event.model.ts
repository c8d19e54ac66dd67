// Domain events about users, as stored in user_events and delivered to subscribers. The kinds
// and what is known about each live in event.registry.ts; the types and helpers here are derived
// from it. Payload names follow the seed package (UserCreated { userId, email, createdBy }, ...).
import { USER_EVENT_KINDS, type EventKind } from './event.registry.js';

type Kinds = typeof USER_EVENT_KINDS;
export type UserEventType = keyof Kinds;
export const USER_EVENT_TYPES = Object.keys(USER_EVENT_KINDS) as readonly UserEventType[];

export const BULK_ACTIONS = ['ACTIVATE', 'DEACTIVATE', 'DELETE', 'SUSPEND', 'IMPORT'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** One changed field of a UserUpdated event. Values are rendered as strings (null stays null). */
export interface FieldChange {
  field: string;
  from: string | null;
  to: string | null;
}

/** Each kind's payload as stored and delivered: with the actor under its field (createdBy, ...). */
export type UserEventPayloads = { [K in UserEventType]: NonNullable<Kinds[K]['payloadType']> };
type ActorField<K extends UserEventType> = Kinds[K]['actor'];

/**
 * An event before it is stored: what services hand to EventsService.record. The actor (the
 * principal's subject; null for automatic changes) is part of the envelope, not of the payload.
 */
export type NewUserEvent = {
  [K in UserEventType]: { type: K; actor: string | null; payload: Omit<UserEventPayloads[K], ActorField<K>> };
}[UserEventType];

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

// The helpers below read a kind's entry with plain string field names, and payloads as plain
// records: TypeScript cannot follow a union of kinds field by field.
function specOf(type: UserEventType): EventKind {
  return USER_EVENT_KINDS[type];
}

export function eventUserId(event: NewUserEvent): string | null {
  const field = specOf(event.type).user;
  return field === null ? null : ((event.payload as Record<string, unknown>)[field] as string);
}

/** The payload as stored and delivered: the envelope's actor shown under the kind's actor field. */
export function deliveredPayload(event: NewUserEvent): UserEvent['payload'] {
  return { ...event.payload, [specOf(event.type).actor]: event.actor } as UserEvent['payload'];
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

/** The stored JSON of a payload: the kind's date fields as ISO strings. */
export function payloadToJson(type: UserEventType, payload: UserEvent['payload']): Record<string, unknown> {
  const json: Record<string, unknown> = { ...payload };
  for (const field of specOf(type).dates) {
    const value = json[field];
    json[field] = value instanceof Date ? value.toISOString() : null;
  }
  return json;
}

/** A payload from its stored JSON: the kind's date fields revived. */
export function payloadFromJson(type: UserEventType, json: Record<string, unknown>): UserEvent['payload'] {
  const payload: Record<string, unknown> = { ...json };
  for (const field of specOf(type).dates) {
    const value = payload[field];
    payload[field] = typeof value === 'string' ? new Date(value) : null;
  }
  return payload as UserEvent['payload'];
}
