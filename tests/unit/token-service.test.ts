// TokenService keeps our own tokens that passed verification until they expire (token.service.ts):
// a kept token must still die at its expiry, and what one caller does with its principal must not
// reach the next caller.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TokenService } from '../../src/auth/token.service.js';

const CONFIG = { secret: 'token-service-unit-secret-0123456789abcdef', issuer: 'users-service', audience: 'users-service', ttlSeconds: 60 };
const SUBJECT = '00000000-0000-4000-8000-00000000abcd';

afterEach(() => {
  vi.useRealTimers();
});

describe('TokenService verification, with verified tokens kept', () => {
  it('refuses a token verified before once it has expired (clock tolerance 5 s)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-01T00:00:00Z'));
    const tokens = new TokenService(CONFIG);
    const { token } = await tokens.issue(SUBJECT, ['ADMIN'], 'session-1');
    expect((await tokens.verify(token)).userId).toBe(SUBJECT);
    vi.setSystemTime(new Date('2026-12-01T00:01:04Z'));
    expect((await tokens.verify(token)).userId).toBe(SUBJECT);
    vi.setSystemTime(new Date('2026-12-01T00:01:05Z'));
    await expect(tokens.verify(token)).rejects.toThrow('Token expired');
  });

  it('hands every caller its own principal', async () => {
    const tokens = new TokenService(CONFIG);
    const { token } = await tokens.issue(SUBJECT, ['ADMIN', 'VIEWER'], 'session-1');
    for (let i = 0; i < 2; i += 1) {
      const principal = await tokens.verify(token);
      principal.roles.length = 0;
      principal.userId = 'someone else';
    }
    expect(await tokens.verify(token)).toMatchObject({ userId: SUBJECT, roles: ['ADMIN', 'VIEWER'], sessionId: 'session-1', external: false });
  });

  it('refuses a kept token with one character of its signature changed, and a token signed with another key', async () => {
    const tokens = new TokenService(CONFIG);
    const { token } = await tokens.issue(SUBJECT, ['ADMIN'], 'session-1');
    await tokens.verify(token);
    const last = token.at(-2) === 'A' ? 'B' : 'A';
    await expect(tokens.verify(`${token.slice(0, -2)}${last}${token.at(-1)}`)).rejects.toThrow('Invalid token');
    const other = new TokenService({ ...CONFIG, secret: 'another-secret-another-secret-0123456789' });
    await expect(other.verify(token)).rejects.toThrow('Invalid token');
  });
});
