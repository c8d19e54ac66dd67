// The dummy hash that an unknown account's login is compared against (no user enumeration by
// timing): it must cost a real compare, and making it must cost nothing at start.
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { PasswordHasher } from '../../src/auth/password.hasher.js';

describe('PasswordHasher', () => {
  it('is built without hashing: at cost 15 (over a second per bcrypt run) it is there at once', () => {
    const started = performance.now();
    new PasswordHasher(15);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('compares an unknown account against a well-formed hash of the configured cost, which nothing matches', async () => {
    const compared: string[] = [];
    const hasher = new PasswordHasher(5, { compare: (password, hash) => (compared.push(hash), bcrypt.compare(password, hash)) });
    expect(await hasher.verify('any password', null)).toBe(false);
    expect(await hasher.verify('', undefined)).toBe(false);
    const [dummy] = compared;
    // bcryptjs answers false at once, without hashing, for a hash that is not 60 characters.
    expect(dummy).toMatch(/^\$2b\$05\$[./A-Za-z0-9]{53}$/);
    expect(bcrypt.getRounds(dummy!)).toBe(5);
    expect(compared[1]).toBe(dummy);
  });
});
