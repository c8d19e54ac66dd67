// The permission table (src/auth/policy.ts): who holds what, the rules built on it, the record
// of what services asserted, and the README's "Who may do what", which must be this table.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  assertCan,
  assertCanFilterDeleted,
  assertCanReadUser,
  canReadUser,
  holds,
  PERMISSION_NAMES,
  PERMISSIONS,
  recordAssertions,
  SIGNED_IN,
  type Permission,
} from '../../src/auth/policy.js';
import type { Principal } from '../../src/auth/principal.js';
import type { Role } from '../../src/users/user.model.js';
import { createSchema } from '../../src/schema.js';
import { rootFieldDecisions } from '../testkit/permissions.js';

const ID = '3f0c7a52-6a8e-4d43-9d59-0c9b1f1c2a11';
const OTHER = '9a1d7e0c-4a54-4f3c-8a4e-5d1f0b7b3c22';
const as = (...roles: Role[]): Principal => ({ userId: ID, roles, expiresAt: new Date(8.64e15) });

describe('holding a permission', () => {
  it('ADMIN holds every permission; VIEWER the reading ones; USER and a token with no role only their own', () => {
    const held = (p: Principal) => PERMISSION_NAMES.filter((name) => holds(p, name));
    expect(held(as('ADMIN'))).toEqual(PERMISSION_NAMES);
    expect(held(as('VIEWER'))).toEqual([
      'self.read',
      'self.update',
      'self.password',
      'users.read',
      'stats.read',
      'events.read',
      'subscriptions.connect',
      'exports.run',
      'sessions.own',
    ]);
    expect(held(as('ADMIN'))).toContain('loginHistory.read');
    expect(held(as('USER'))).toEqual(['self.read', 'self.update', 'self.password', 'sessions.own']);
    expect(held(as())).toEqual(['self.read', 'self.update', 'self.password', 'sessions.own']);
    // A token that must change its password first: only its own record and the change.
    expect(held({ ...as('ADMIN'), passwordChangeRequired: true })).toEqual(['self.read', 'self.password']);
    expect(held(as('USER', 'VIEWER'))).toEqual(held(as('VIEWER')));
    expect(PERMISSION_NAMES.filter((name) => holds(undefined, name))).toEqual([]);
  });

  it('assertCan: UNAUTHENTICATED without a principal, FORBIDDEN naming the roles without the permission', () => {
    expect(() => assertCan(undefined, 'self.read')).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    expect(() => assertCan(as('VIEWER'), 'users.write')).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN', message: 'Requires role ADMIN' }),
    );
    expect(() => assertCan(as('USER'), 'events.read')).toThrow(
      expect.objectContaining({ message: 'Requires role ADMIN or VIEWER' }),
    );
    expect(assertCan(as('ADMIN'), 'users.write').userId).toBe(ID);
  });

  it('reading a user: users.read anyone, self.read only yourself (any letter case), nobody for an anonymous caller', () => {
    expect(canReadUser(as('VIEWER'), OTHER)).toBe(true);
    expect(canReadUser(as('USER'), ID.toUpperCase())).toBe(true);
    expect(canReadUser(as(), ID)).toBe(true);
    expect(canReadUser(as('USER'), OTHER)).toBe(false);
    expect(canReadUser(undefined, ID)).toBe(false);
    expect(() => assertCanReadUser(as('USER'), OTHER)).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN', message: 'Requires role ADMIN or VIEWER, or your own id' }),
    );
  });

  it('deleted users need users.readDeleted, written once for the listing and the export', () => {
    expect(() => assertCanFilterDeleted(as('VIEWER'), 'INCLUDE')).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN', message: 'filter.deleted INCLUDE and ONLY require role ADMIN' }),
    );
    expect(() => assertCanFilterDeleted(as('VIEWER'), 'ONLY')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(() => assertCanFilterDeleted(as('VIEWER'), 'EXCLUDE')).not.toThrow();
    expect(() => assertCanFilterDeleted(as('VIEWER'), undefined)).not.toThrow();
    expect(() => assertCanFilterDeleted(as('ADMIN'), 'ONLY')).not.toThrow();
  });
});

describe('recording what services assert', () => {
  it('lists every assertion in order, refused ones too, across awaits, and nothing outside a recording', async () => {
    assertCan(as('ADMIN'), 'stats.read'); // outside: goes nowhere
    const { result, asserted } = recordAssertions(async () => {
      assertCan(as('ADMIN'), 'users.read');
      await new Promise((resolve) => setTimeout(resolve, 5));
      assertCanFilterDeleted(as('ADMIN'), 'ONLY');
      expect(() => assertCan(as('USER'), 'users.write')).toThrow();
      holds(as('ADMIN'), 'events.read'); // a question, not an assertion
      return 'done';
    });
    expect(await result).toBe('done');
    expect(asserted).toEqual(['users.read', 'users.readDeleted', 'users.write']);
  });

  it('keeps concurrent recordings apart', async () => {
    const a = recordAssertions(async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      assertCan(as('ADMIN'), 'imports.run');
    });
    const b = recordAssertions(async () => {
      assertCan(as('ADMIN'), 'exports.run');
      await new Promise((resolve) => setTimeout(resolve, 20));
    });
    await Promise.all([a.result, b.result]);
    expect(a.asserted).toEqual(['imports.run']);
    expect(b.asserted).toEqual(['exports.run']);
  });
});

describe("the README's table", () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(
    readme.indexOf('## Who may do what'),
    readme.indexOf('\n## ', readme.indexOf('## Who may do what') + 1),
  );
  const rows = section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map(
      (line) =>
        line
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim()) as [string, string, string],
    );

  it('lists every permission once, held by the roles of the table', () => {
    expect(rows.map(([name]) => name.replaceAll('`', ''))).toEqual(PERMISSION_NAMES);
    for (const [name, heldBy] of rows) {
      const holders = PERMISSIONS[name.replaceAll('`', '') as Permission];
      expect(heldBy, name).toBe(holders === SIGNED_IN ? 'any signed-in caller' : holders.join(', '));
    }
  });

  it('names, for each permission, exactly the root fields that declare it', async () => {
    await createSchema();
    const decisions = rootFieldDecisions();
    for (const [name, , allows] of rows) {
      const permission = name.replaceAll('`', '');
      // Bare `field` names count; `user(id)` or `users(filter)` are prose about a field.
      const listed = [...allows.matchAll(/`(\w+)`/g)].map((m) => m[1]!).filter((word) => decisions.has(word));
      const declaring = [...decisions]
        .filter(([, d]) => Array.isArray(d.declared) && d.declared[0] === permission)
        .map(([field]) => field);
      expect(listed.sort(), `${permission} in the README`).toEqual(declaring.sort());
    }
    const publicRow = section.split('\n').find((line) => line.startsWith('| none |'));
    expect(publicRow).toContain('`login`');
  });
});
