// The SSRF guard's address rules and its delivery-time lookup (DNS rebinding), and the retry
// schedule: pure code, with a fixed resolver instead of DNS.
import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WEBHOOKS } from '../../src/config.js';
import { backoffMs, disableReason, retryAfterMs } from '../../src/webhooks/webhook.retry.js';
import { nonPublicReason, WebhookUrlGuard } from '../../src/webhooks/webhook.url-guard.js';

describe('nonPublicReason', () => {
  it.each([
    '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '127.0.0.1', '127.9.9.9', '0.0.0.0', '169.254.169.254', '100.64.0.1',
    '100.127.255.255', '224.0.0.1', '239.255.255.250', '240.0.0.1', '255.255.255.255', '192.0.2.10', '198.18.0.1',
    '::', '::1', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:a9fe:a9fe',
    '64:ff9b::a00:1', '2002:c0a8:101::1', '2001:db8::1',
  ])('refuses %s', (address) => {
    expect(nonPublicReason(address)).toMatch(/not a public address/);
  });

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])('accepts %s', (address) => {
    expect(nonPublicReason(address)).toBeUndefined();
  });
});

function guardWith(addresses: Record<string, string[]>, allowPrivate = false): WebhookUrlGuard {
  return new WebhookUrlGuard({
    allowPrivate,
    resolve: (host) => {
      const found = addresses[host];
      if (!found) return Promise.reject(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }));
      return Promise.resolve(found.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 })));
    },
  });
}

function lookup(guard: WebhookUrlGuard, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    guard.lookup(host, { all: false }, (error, address) => (error ? reject(error) : resolve(address as string)));
  });
}

describe('WebhookUrlGuard', () => {
  it('refuses a name when any of its addresses is private, and one that does not resolve', async () => {
    const guard = guardWith({ 'hooks.example.com': ['93.184.215.14'], 'mixed.example.com': ['93.184.215.14', '10.0.0.8'] });
    await expect(guard.check('url', 'https://hooks.example.com/x')).resolves.toBeInstanceOf(URL);
    await expect(guard.check('url', 'https://mixed.example.com/x')).rejects.toThrow(/url: mixed\.example\.com resolves to 10\.0\.0\.8 is not a public address/);
    await expect(guard.check('url', 'https://nowhere.example.com/x')).rejects.toThrow(/nowhere\.example\.com does not resolve/);
  });

  it('at delivery, connects to the address it checked, and refuses a name rebound to a private address', async () => {
    const answers: Record<string, string[]> = { 'rebind.example.com': ['93.184.215.14'] };
    const guard = guardWith(answers);
    await guard.check('url', 'https://rebind.example.com/x');
    expect(await lookup(guard, 'rebind.example.com')).toBe('93.184.215.14');
    answers['rebind.example.com'] = ['169.254.169.254'];
    await expect(lookup(guard, 'rebind.example.com')).rejects.toMatchObject({ code: 'WEBHOOK_URL_REFUSED' });
  });

  it('allows private addresses and http to localhost only with allowPrivate', async () => {
    expect(() => guardWith({}).parse('url', 'http://localhost:3000/x')).toThrow(/must use https/);
    expect(guardWith({}, true).parse('url', 'http://localhost:3000/x').hostname).toBe('localhost');
    expect(() => guardWith({}, true).parse('url', 'http://intranet:3000/x')).toThrow(/only to localhost/);
    await expect(guardWith({ 'db.internal': ['10.0.0.5'] }, true).check('url', 'https://db.internal/x')).resolves.toBeInstanceOf(URL);
  });
});

describe('retry schedule', () => {
  const settings = { ...DEFAULT_WEBHOOKS, retryBaseMs: 1_000, retryMaxMs: 60_000 };

  it('waits a random time up to base·2^(n-1), capped, and Retry-After when given', () => {
    expect(backoffMs(1, settings, undefined, () => 0.999)).toBe(999);
    expect(backoffMs(3, settings, undefined, () => 0.5)).toBe(2_000);
    expect(backoffMs(30, settings, undefined, () => 0.999)).toBe(59_940);
    expect(backoffMs(4, settings, undefined, () => 0)).toBe(0);
    expect(backoffMs(1, settings, 30_000)).toBe(30_000);
    expect(backoffMs(1, settings, 3_600_000)).toBe(60_000);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = new Date('2026-06-01T12:00:00Z');
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs('Mon, 01 Jun 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });

  it('disables after maxFailures in a row or after the retry window', () => {
    const limits = { maxFailures: 5, retryForMs: 86_400_000 };
    expect(disableReason(4, 1_000, limits)).toBeUndefined();
    expect(disableReason(5, 1_000, limits)).toBe('MAX_FAILURES');
    expect(disableReason(2, 86_400_000, limits)).toBe('RETRY_WINDOW');
  });
});
