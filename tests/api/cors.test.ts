// CORS as a client other than a browser sees it: the preflight answer, the headers on real
// answers, the production rules, and the WebSocket upgrade's Origin check. tests/api/browser.test.ts
// shows the same rules holding in a real browser.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../testkit/app.js';

let dev: TestApp;
beforeAll(async () => {
  dev = await startTestApp({ env: { CORS_ORIGINS: 'https://app.example.com' } });
});
afterAll(async () => {
  await dev?.stop();
});

function preflight(url: string, origin: string, method = 'POST'): Promise<Response> {
  return fetch(url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': method,
      'access-control-request-headers': 'authorization,content-type,apollo-require-preflight,x-apollo-operation-name,x-request-id',
    },
  });
}

/** How the upgrade went: 'open', or the HTTP status it was refused with. */
function upgrade(url: string, origin: string | undefined): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, 'graphql-transport-ws', origin ? { origin } : {});
    socket.on('open', () => {
      socket.close();
      resolve('open');
    });
    socket.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
    socket.on('error', () => undefined);
  });
}

describe('CORS outside production', () => {
  it('answers a preflight with 204 and the headers Apollo Client and uploads send, before the CSRF check', async () => {
    const response = await preflight(dev.url, 'http://localhost:5173');
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const allowed = response.headers.get('access-control-allow-headers')!.split(',');
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'apollo-require-preflight', 'x-apollo-operation-name', 'x-request-id']));
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('allows localhost and 127.0.0.1 on any port, and the listed origins', async () => {
    for (const origin of ['http://localhost:3000', 'http://127.0.0.1:8080', 'https://app.example.com']) {
      expect((await preflight(dev.url, origin)).headers.get('access-control-allow-origin'), origin).toBe(origin);
    }
  });

  it('gives an origin that is not allowed no Access-Control-Allow-Origin', async () => {
    for (const origin of ['https://evil.example', 'https://app.example.com.evil.example', 'http://localhost.evil.example:5173', 'https://localhost:5173']) {
      const response = await preflight(dev.url, origin);
      expect(response.headers.get('access-control-allow-origin'), origin).toBeNull();
    }
  });

  it('answers a request without Origin (no browser page) with Vary: Origin and no Access-Control-* headers', async () => {
    const response = await fetch(dev.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
    expect(response.status).toBe(200);
    expect(response.headers.get('vary') ?? '').toMatch(/\bOrigin\b/i);
    expect([...response.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });

  it('exposes x-request-id on answers to an allowed origin', async () => {
    const response = await fetch(dev.url, {
      method: 'POST',
      headers: { origin: 'http://localhost:5173', 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(response.headers.get('access-control-expose-headers')).toContain('x-request-id');
  });

  it('covers the export links too', async () => {
    const base = dev.url.replace(/\/graphql$/, '');
    const response = await preflight(`${base}/exports/anything`, 'http://localhost:5173', 'GET');
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });

  it('refuses a WebSocket upgrade from an origin that is not allowed with 403, and lets others through', async () => {
    expect(await upgrade(dev.wsUrl, 'https://evil.example')).toBe('403');
    expect(await upgrade(dev.wsUrl, 'http://localhost:5173')).toBe('open');
    expect(await upgrade(dev.wsUrl, 'https://app.example.com')).toBe('open');
    // No Origin: not a browser (Node's ws, a mobile app); the token check decides.
    expect(await upgrade(dev.wsUrl, undefined)).toBe('open');
  });
});

describe('CORS in production', () => {
  let prod: TestApp;
  beforeAll(async () => {
    prod = await startTestApp({ env: { NODE_ENV: 'production', CORS_ORIGINS: 'https://app.example.com' } });
  });
  afterAll(async () => {
    await prod?.stop();
  });

  it('allows only the list: localhost is refused, over HTTP and WebSocket', async () => {
    expect((await preflight(prod.url, 'http://localhost:5173')).headers.get('access-control-allow-origin')).toBeNull();
    expect((await preflight(prod.url, 'https://app.example.com')).headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(await upgrade(prod.wsUrl, 'http://localhost:5173')).toBe('403');
    expect(await upgrade(prod.wsUrl, 'https://app.example.com')).toBe('open');
  });
});

describe('CORS_ORIGINS=*', () => {
  it('allows any origin, without credentials', async () => {
    const open = await startTestApp({ env: { NODE_ENV: 'production', CORS_ORIGINS: '*' } });
    try {
      const response = await preflight(open.url, 'https://anyone.example');
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      expect(await upgrade(open.wsUrl, 'https://anyone.example')).toBe('open');
    } finally {
      await open.stop();
    }
  });
});
