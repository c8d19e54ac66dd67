// Shutdown as a load balancer sees it: /readyz turns 503 the moment shutdown begins, /healthz
// stays 200, requests keep being served through SHUTDOWN_DELAY, and a request in flight when the
// listening socket closes still gets its answer.
import { request } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testkit/app.js';

let t: TestApp | undefined;
afterAll(async () => {
  await t?.stop();
});

/** A POST /graphql whose body arrives in two halves; resolves with the status and body. */
function slowRequest(url: string, token: string, query: string): { finish(): void; response: Promise<{ status: number; body: string }> } {
  const body = Buffer.from(JSON.stringify({ query }));
  const half = Math.floor(body.length / 2);
  let finish!: () => void;
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.write(body.subarray(0, half));
    finish = () => req.end(body.subarray(half));
  });
  return { finish, response };
}

describe('shutdown', () => {
  it('answers /readyz 503 from the moment it begins, keeps /healthz 200 and finishes requests in flight', async () => {
    t = await startTestApp({ env: { SHUTDOWN_DELAY: '1500ms' } });
    const base = new URL(t.url).origin;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const token = t.admin.token!;
    const inFlight = slowRequest(t.url, token, '{ me { email } }');
    await new Promise((r) => setTimeout(r, 100)); // the request has reached the server

    const stopping = t.app.stop();
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'draining' });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    // Still serving during the delay: a load balancer that has not noticed yet loses nothing.
    const during = await t.admin.execute('{ me { email } }');
    expect(during.expectData()).toEqual({ me: { email: 'admin@example.test' } });

    // Past the delay the listener closes; the request that was in flight still completes.
    await new Promise((r) => setTimeout(r, 1_700));
    inFlight.finish();
    const answer = await inFlight.response;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ data: { me: { email: 'admin@example.test' } } });
    await stopping;
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    t = undefined;
  });
});
