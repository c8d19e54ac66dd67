// A listing reads the columns its client asked for (plus what cursors need), not all 21.
import { describe, expect, it } from 'vitest';
import { pageQuery } from '../../src/users/listing/listing.sql.js';
import type { PageRequest } from '../../src/users/listing/listing.model.js';
import { RECORD_FIELDS } from '../../src/users/user.columns.js';
import { recordFieldsFor } from '../../src/users/user.resolver.js';

const request = (field: 'CREATED_AT' | 'LAST_NAME'): PageRequest => ({
  filter: { deleted: 'EXCLUDE' },
  order: [{ field, direction: 'ASC' }],
  limit: 20,
  backward: false,
  from: { values: [field === 'CREATED_AT' ? '2026-01-01T00:00:00.000Z' : 'Hopper'], id: '00000000-0000-4000-8000-000000000001' },
});

/** The columns a page query selects (every `u.<column>` of its select lists). */
function selected(sql: string): string[] {
  const lists = [...sql.matchAll(/SELECT (u\..*?) FROM users u/g)].map((m) => m[1]!);
  return [...new Set(lists.flatMap((list) => [...list.matchAll(/u\.(\w+)/g)].map((m) => m[1]!)))].sort();
}

describe('page queries of some fields', () => {
  it('select the fields asked, the id and the sort keys, and nothing else', () => {
    expect(selected(pageQuery(request('CREATED_AT'), new Date(), { fields: ['email'] }).sql)).toEqual(['created_at', 'email', 'id']);
    // Nullable sort: both halves of the split query select the same narrow list.
    expect(selected(pageQuery(request('LAST_NAME'), new Date(), { fields: ['name'] }).sql)).toEqual(['id', 'last_name', 'name']);
    expect(selected(pageQuery(request('LAST_NAME'), new Date(), { fields: ['name'], sortMatches: true }).sql)).toEqual(['id', 'last_name', 'name']);
  });

  it('select the whole record when no fields are given', () => {
    expect(selected(pageQuery(request('CREATED_AT'), new Date()).sql)).toHaveLength(RECORD_FIELDS.length);
  });
});

describe('recordFieldsFor (what a selection of User fields reads)', () => {
  it('maps record fields to themselves and derived fields to what they read', () => {
    expect(recordFieldsFor(['id', 'email', '__typename'])).toEqual(['id', 'email']);
    expect(recordFieldsFor(['status', 'createdBy'])).toEqual(['erasedAt', 'deletedAt', 'isActive', 'suspendedAt', 'suspendedUntil', 'createdById']);
  });

  it('reads everything when a field is not known to it', () => {
    expect(recordFieldsFor(['id', 'someNewFieldResolver'])).toBeUndefined();
  });
});
