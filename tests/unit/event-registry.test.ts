// The events registry (src/events/event.registry.ts) is the one place a kind is described; the
// GraphQL classes, the stored JSON and the envelope follow it. These tests fail when a kind's
// class and its entry disagree, so adding a kind cannot half-work.
import { getNamedType, isEnumType, isObjectType, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { USER_EVENT_KINDS, type EventKind } from '../../src/events/event.registry.js';
import { LIVE_ONLY_SUBSCRIPTIONS } from '../../src/events/event.resolver.js';
import {
  deliveredPayload,
  eventUserId,
  payloadFromJson,
  payloadToJson,
  USER_EVENT_TYPES,
  type NewUserEvent,
  type UserEventType,
} from '../../src/events/user-event.model.js';
import { createSchema } from '../../src/schema.js';

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await createSchema();
});

function objectType(name: string): GraphQLObjectType {
  const type = schema.getType(name);
  if (!isObjectType(type)) throw new Error(`${name} is not an object type of the schema`);
  return type;
}

describe('each registry entry and its GraphQL object type', () => {
  it.each(USER_EVENT_TYPES.map((type) => [type]))('%s', (type: UserEventType) => {
    const kind: EventKind = USER_EVENT_KINDS[type];
    const object = objectType(kind.graphqlType);
    expect(object.getInterfaces().map((i) => i.name)).toEqual(['UserEvent']);
    const fields = object.getFields();
    // The actor: a nullable ID (null for automatic changes).
    expect(String(fields[kind.actor]?.type)).toBe('ID');
    if (kind.user !== null) expect(String(fields[kind.user]?.type)).toBe('ID!');
    for (const date of kind.dates) expect(getNamedType(fields[date]!.type).name).toBe('DateTime');

    const subscriptions = schema.getSubscriptionType()!.getFields();
    if (kind.subscription) {
      const field = subscriptions[kind.subscription.field];
      expect(field && getNamedType(field.type).name).toBe(kind.graphqlType);
      expect(field!.args.map((a) => a.name)).toEqual(kind.subscription.byUser ? ['userId'] : []);
      expect(LIVE_ONLY_SUBSCRIPTIONS.has(kind.subscription.field)).toBe(true);
    }
    // No other subscription returns this kind alone.
    const returning = Object.values(subscriptions).filter((f) => getNamedType(f.type).name === kind.graphqlType);
    expect(returning.map((f) => f.name)).toEqual(kind.subscription ? [kind.subscription.field] : []);
  });

  it('the UserEventType enum lists exactly the registry kinds', () => {
    const enumType = schema.getType('UserEventType');
    if (!isEnumType(enumType)) throw new Error('UserEventType is not an enum');
    expect(
      enumType
        .getValues()
        .map((v) => v.name)
        .sort(),
    ).toEqual([...USER_EVENT_TYPES].sort());
  });

  it('every object type implementing UserEvent comes from the registry', () => {
    const implementing = Object.values(schema.getTypeMap())
      .filter(isObjectType)
      .filter((t) => t.getInterfaces().some((i) => i.name === 'UserEvent'))
      .map((t) => t.name)
      .sort();
    expect(implementing).toEqual(USER_EVENT_TYPES.map((type) => USER_EVENT_KINDS[type].graphqlType).sort());
  });

  it('every subscription brings its own subscribe function (the schema has no pubsub topics)', () => {
    const subscriptions = getMetadataStorage().subscriptions;
    expect(subscriptions.length).toBeGreaterThan(0);
    expect(subscriptions.filter((s) => typeof s.subscribe !== 'function').map((s) => s.schemaName)).toEqual([]);
  });

  it('subscription fields that are live-only exist in the schema', () => {
    const fields = Object.keys(schema.getSubscriptionType()!.getFields());
    expect(fields).toEqual(expect.arrayContaining([...LIVE_ONLY_SUBSCRIPTIONS]));
    expect(LIVE_ONLY_SUBSCRIPTIONS.has('userImportProgress')).toBe(false);
  });
});

describe('the envelope and the stored payload', () => {
  const userId = '2f1c5d8e-4b5a-4c1e-9a0e-1f2d3c4b5a69';

  it('the actor travels in the envelope and shows under the kind’s actor field', () => {
    const created: NewUserEvent = { type: 'USER_CREATED', actor: 'admin-subject', payload: { userId, email: 'a@example.test' } };
    expect(deliveredPayload(created)).toEqual({ userId, email: 'a@example.test', createdBy: 'admin-subject' });
    expect(eventUserId(created)).toBe(userId);
    const expired: NewUserEvent = { type: 'USER_UNSUSPENDED', actor: null, payload: { userId, expired: true } };
    expect(deliveredPayload(expired)).toEqual({ userId, expired: true, unsuspendedBy: null });
    const bulk: NewUserEvent = { type: 'USER_BULK_ACTION', actor: 'system', payload: { action: 'IMPORT', userIds: [userId] } };
    expect(deliveredPayload(bulk)).toEqual({ action: 'IMPORT', userIds: [userId], performedBy: 'system' });
    expect(eventUserId(bulk)).toBeNull();
  });

  it('date fields are ISO strings in the stored JSON and Dates again when read', () => {
    const until = new Date('2031-02-03T04:05:06.789Z');
    const payload = deliveredPayload({ type: 'USER_SUSPENDED', actor: 'admin-subject', payload: { userId, reason: 'r', until } });
    const json = JSON.parse(JSON.stringify(payloadToJson('USER_SUSPENDED', payload))) as Record<string, unknown>;
    expect(json).toEqual({ userId, reason: 'r', until: '2031-02-03T04:05:06.789Z', suspendedBy: 'admin-subject' });
    expect(payloadFromJson('USER_SUSPENDED', json)).toEqual(payload);
    const open = deliveredPayload({ type: 'USER_SUSPENDED', actor: null, payload: { userId, reason: 'r', until: null } });
    expect(payloadFromJson('USER_SUSPENDED', payloadToJson('USER_SUSPENDED', open))).toEqual(open);
  });
});
