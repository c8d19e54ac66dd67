// Strict cursor decoding must never refuse a cursor the server minted: every position a row can
// have (any instant PostgreSQL and JavaScript share, any storable name, nulls where the column
// allows them) round-trips through encodeCursor/decodeCursor. A property test, seed fixed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadUserInputError } from '../../src/errors.js';
import { decodeCursor, encodeCursor } from '../../src/users/listing/listing.cursor.js';
import type { SortKey } from '../../src/users/listing/listing.model.js';
import { toStorableText } from '../../src/text.js';

const instant = fc.date({ min: new Date('0001-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }).map((d) => d.toISOString());
// Names stored before the name rule may hold control characters; only NUL and lone surrogates
// can never be stored.
const storedName = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 100 }).map((s) => s.replaceAll('\u0000', '')),
  fc.constant('😀'.repeat(255)),
);

describe('cursor', () => {
  it('decodes every cursor it encodes, for every sort key', () => {
    const key = (field: SortKey['field']) => fc.constantFrom<SortKey>({ field, direction: 'ASC' }, { field, direction: 'DESC' });
    const cases = fc.oneof(
      fc.tuple(fc.oneof(key('CREATED_AT'), key('UPDATED_AT')), instant),
      fc.tuple(key('LAST_LOGIN_AT'), fc.option(instant)),
      fc.tuple(key('EMAIL'), fc.emailAddress().filter((e) => e.length <= 255)),
      fc.tuple(fc.oneof(key('NAME'), key('LAST_NAME')), fc.option(storedName)),
    );
    fc.assert(
      fc.property(cases, fc.uuid(), ([sortKey, value], id) => {
        const position = { values: [value], id };
        expect(decodeCursor(encodeCursor([sortKey], position), [sortKey], 'after')).toEqual(position);
      }),
      { seed: 20261130, numRuns: 500 },
    );
  });

  it('accepts the longest cursor it can mint: every sort key, each at its longest', () => {
    const order: SortKey[] = ['CREATED_AT', 'UPDATED_AT', 'LAST_LOGIN_AT', 'EMAIL', 'NAME', 'LAST_NAME'].map((field) => ({ field, direction: 'ASC' }) as SortKey);
    const at = '9999-12-31T23:59:59.999Z';
    const position = { values: [at, at, at, `${'e'.repeat(64)}@${'d'.repeat(185)}.test`, '😀'.repeat(255), '😀'.repeat(100)], id: '00000000-0000-4000-8000-000000000000' };
    expect(decodeCursor(encodeCursor(order, position), order, 'after')).toEqual(position);
  });

  it('names the argument it refuses', () => {
    expect(() => decodeCursor('bm90IGEgY3Vyc29y', [{ field: 'EMAIL', direction: 'ASC' }], 'before')).toThrow(BadUserInputError);
    try {
      decodeCursor('bm90IGEgY3Vyc29y', [{ field: 'EMAIL', direction: 'ASC' }], 'before');
    } catch (error) {
      expect((error as BadUserInputError).fields).toEqual([{ field: 'before', message: 'is not a valid cursor' }]);
    }
  });
});

describe('toStorableText', () => {
  it('replaces control characters and lone surrogates and never splits a pair', () => {
    expect(toStorableText('a\u0000b\u0007c\uD800d', 100)).toBe('a\uFFFDb\uFFFDc\uFFFDd');
    expect(toStorableText('ab😀😀', 3)).toBe('ab😀');
  });
});
