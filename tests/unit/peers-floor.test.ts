// The peers bench's stack floor (bench/peers/floor.schema.ts): its schema must stay shaped like
// ours for what the workloads ask (else it would measure a different GraphQL workload), and it
// must answer a repeated question from memory (else it would measure the database).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema as buildSdl, execute, isEnumType, isInputObjectType, isObjectType, parse, type GraphQLNamedType, type GraphQLSchema, type GraphQLType } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { floorSchema } from '../../bench/peers/floor.schema.js';
import type { PageArgs, RowReader } from '../../bench/peers/rows.js';
import { projectRoot } from '../../src/paths.js';

const ALICE = { id: '00000000-0000-4000-8000-000000000001', email: 'alice@example.test', name: 'Alice', createdAt: new Date('2026-01-02T03:04:05.000Z') };
const BOB = { id: '00000000-0000-4000-8000-000000000002', email: 'bob@example.test', name: null, createdAt: new Date('2026-01-01T00:00:00.000Z') };

const reads: string[] = [];
const reader: RowReader = {
  page: (args: PageArgs) => {
    reads.push(`page ${JSON.stringify(args)}`);
    const rows = args.filter?.isActive === false ? [BOB] : [ALICE, BOB];
    return Promise.resolve({ edges: rows.map((node) => ({ cursor: `c-${node.id}`, node })), pageInfo: { hasNextPage: false, endCursor: `c-${rows.at(-1)!.id}` } });
  },
  count: (filter) => {
    reads.push(`count ${JSON.stringify(filter)}`);
    return Promise.resolve(filter?.isActive === false ? 1 : 2);
  },
  byId: (id) => {
    reads.push(`byId ${id}`);
    return Promise.resolve([ALICE, BOB].find((u) => u.id === id) ?? null);
  },
};

interface FieldShape {
  type: GraphQLType;
  args?: readonly { name: string; type: GraphQLType }[];
}
/** The fields of an object or input type (none for anything else), by name. */
function fieldsOf(type: GraphQLNamedType | null | undefined): Record<string, FieldShape> {
  return isObjectType(type) || isInputObjectType(type) ? type.getFields() : {};
}

let floor: GraphQLSchema;
beforeAll(async () => {
  floor = await floorSchema(reader);
});

const run = async (query: string, variableValues?: Record<string, unknown>) => {
  const result = await execute({ schema: floor, document: parse(query), variableValues, contextValue: { authorization: undefined } });
  expect(result.errors).toBeUndefined();
  return JSON.parse(JSON.stringify(result.data)) as Record<string, unknown>;
};

describe('the stack floor', () => {
  it('declares only types, fields, arguments and enum values that ours has, with the same types', () => {
    const ours = buildSdl(readFileSync(join(projectRoot(), 'schema.graphql'), 'utf8'));
    const named = Object.values(floor.getTypeMap()).filter((t) => !t.name.startsWith('__') && (isObjectType(t) || isInputObjectType(t) || isEnumType(t)));
    expect(named.map((t) => t.name).sort()).toEqual(['DeletedFilter', 'PageInfo', 'Query', 'Role', 'SortDirection', 'User', 'UserConnection', 'UserEdge', 'UserFilter', 'UserOrder', 'UserSortField']);
    for (const type of named) {
      const theirs = ours.getType(type.name);
      if (isEnumType(type)) {
        expect(isEnumType(theirs) && theirs.getValues().map((v) => v.name).sort(), type.name).toEqual(type.getValues().map((v) => v.name).sort());
        continue;
      }
      const theirFields = fieldsOf(theirs);
      for (const [name, field] of Object.entries(fieldsOf(type))) {
        const their = theirFields[name];
        expect(their && String(their.type), `${type.name}.${name}`).toBe(String(field.type));
        for (const arg of field.args ?? []) {
          const theirArg = their?.args?.find((a) => a.name === arg.name);
          expect(theirArg && String(theirArg.type), `${type.name}.${name}(${arg.name})`).toBe(String(arg.type));
        }
      }
    }
  });

  it('reads each distinct question once and answers it again from memory', async () => {
    reads.length = 0;
    const page = 'query($filter:UserFilter){users(first:20,filter:$filter){edges{cursor node{id email name createdAt}} pageInfo{hasNextPage endCursor}}}';
    const first = await run(page);
    expect(first).toEqual({
      users: {
        edges: [
          { cursor: `c-${ALICE.id}`, node: { ...ALICE, createdAt: '2026-01-02T03:04:05.000Z' } },
          { cursor: `c-${BOB.id}`, node: { ...BOB, createdAt: '2026-01-01T00:00:00.000Z' } },
        ],
        pageInfo: { hasNextPage: false, endCursor: `c-${BOB.id}` },
      },
    });
    expect(await run(page)).toEqual(first);
    const inactive = await run(page, { filter: { isActive: false } });
    expect((inactive.users as { edges: unknown[] }).edges).toHaveLength(1);
    await run(page, { filter: { isActive: false } });
    expect(await run('query($id:ID!){user(id:$id){id email}}', { id: BOB.id })).toEqual({ user: { id: BOB.id, email: BOB.email } });
    await run('query($id:ID!){user(id:$id){id email}}', { id: BOB.id });
    // No count was read: totalCount is not selected.
    expect(reads).toEqual([
      'page {"first":20}',
      'page {"first":20,"filter":{"isActive":false,"deleted":"EXCLUDE"}}',
      `byId ${BOB.id}`,
    ]);
  });

  it('reads totalCount only when selected, once per filter', async () => {
    reads.length = 0;
    const count = 'query($filter:UserFilter){users(first:1,filter:$filter){totalCount}}';
    expect(await run(count, { filter: { isActive: false } })).toEqual({ users: { totalCount: 1 } });
    expect(await run(count, { filter: { isActive: false } })).toEqual({ users: { totalCount: 1 } });
    expect(reads.filter((r) => r.startsWith('count'))).toEqual(['count {"isActive":false,"deleted":"EXCLUDE"}']);
  });
});
