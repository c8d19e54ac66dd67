// NODE_ENV=production (README, Production): no landing page, no introspection and no "did you
// mean" unless INTROSPECTION=true; security headers on every answer, HSTS only when a trusted
// proxy says the client came over HTTPS. Outside production the landing page tells an offline
// browser how to use curl.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import helmet from 'helmet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helmetOptions } from '../../src/http/security.headers.js';
import { startTestApp, type TestApp } from '../testkit/app.js';

let dev: TestApp;
let prod: TestApp;
beforeAll(async () => {
  [dev, prod] = await Promise.all([startTestApp(), startTestApp({ env: { NODE_ENV: 'production', TRUST_PROXY: 'loopback' } })]);
});
afterAll(async () => {
  await Promise.all([dev?.stop(), prod?.stop()]);
});

const typo = '{ usr(id: "x") { id } }';

describe('production', () => {
  it('serves no landing page', async () => {
    const response = await fetch(prod.url, { headers: { accept: 'text/html' } });
    expect(await response.text()).not.toContain('embeddable-sandbox');
  });

  it('turns introspection off', async () => {
    (await prod.anonymous.execute('{ __schema { queryType { name } } }')).expectError('GRAPHQL_VALIDATION_FAILED');
  });

  it('gives no "did you mean" suggestions', async () => {
    const error = (await prod.admin.execute(typo)).expectError('GRAPHQL_VALIDATION_FAILED');
    expect(error.message).not.toMatch(/Did you mean/);
    // Outside production, suggestions help whoever is writing the query.
    expect((await dev.admin.execute(typo)).expectError('GRAPHQL_VALIDATION_FAILED').message).toMatch(/Did you mean "user"/);
  });

  it('INTROSPECTION=true turns introspection back on', async () => {
    const open = await startTestApp({ env: { NODE_ENV: 'production', INTROSPECTION: 'true' } });
    try {
      (await open.anonymous.execute('{ __schema { queryType { name } } }')).expectData();
    } finally {
      await open.stop();
    }
  });

  it('sends security headers on every answer, errors and unknown routes included', async () => {
    const base = prod.url.replace(/\/graphql$/, '');
    for (const response of [
      await fetch(prod.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' }),
      await fetch(`${base}/nowhere`),
      await fetch(`${base}/exports/not-a-link`),
    ]) {
      expect(response.headers.get('x-content-type-options'), response.url).toBe('nosniff');
      expect(response.headers.get('content-security-policy'), response.url).toContain("frame-ancestors 'none'");
      expect(response.headers.get('referrer-policy'), response.url).toBe('no-referrer');
      expect(response.headers.get('x-frame-options'), response.url).toBe('DENY');
      expect(response.headers.get('strict-transport-security'), response.url).toBeNull();
    }
  });

  it('sends exactly the headers helmet itself sets with our options (they are read once at start)', async () => {
    // helmet run as a plain middleware on a bare node:http server, against our answer.
    const middleware = helmet(helmetOptions({ production: true }));
    const reference = createServer((req, res) => middleware(req, res, () => res.end()));
    await new Promise<void>((resolve) => reference.listen(0, '127.0.0.1', resolve));
    try {
      const expected = await fetch(`http://127.0.0.1:${(reference.address() as AddressInfo).port}/`);
      const ours = await fetch(prod.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"{ __typename }"}',
      });
      const generic = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
      const names = [...expected.headers.keys()].filter((name) => !generic.has(name));
      expect(names.length).toBeGreaterThanOrEqual(10);
      for (const name of names) expect(ours.headers.get(name), name).toBe(expected.headers.get(name));
    } finally {
      await new Promise((resolve) => reference.close(resolve));
    }
  });

  it('sends HSTS only when a trusted proxy says the client came over HTTPS', async () => {
    const overHttps = await fetch(prod.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
      body: '{"query":"{ __typename }"}',
    });
    expect(overHttps.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    // Without TRUST_PROXY anyone could send the header: it is not believed.
    const untrusted = await fetch(dev.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
      body: '{"query":"{ __typename }"}',
    });
    expect(untrusted.headers.get('strict-transport-security')).toBeNull();
  });
});

describe('development landing page', () => {
  it('tells a browser that cannot load Sandbox how to query with curl, at this URL', async () => {
    const response = await fetch(dev.url, { headers: { accept: 'text/html' } });
    const html = await response.text();
    expect(html).toContain('embeddable-sandbox');
    expect(html).not.toContain('it appears that you might be offline');
    expect(html).toMatch(/curl -s \$URL/);
    expect(html).toContain('window.location.origin');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
