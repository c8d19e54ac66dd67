// A frontend on another origin, in a real Chromium: what a Vite + Apollo Client app does, with
// the requests Apollo Client sends (JSON POSTs with its accept header, graphql-ws for
// subscriptions, a multipart upload with apollo-require-preflight as Apollo's docs ask of
// upload links, the export link fetched by the page). The page runs on http://localhost:P (allowed
// outside production by default) or http://app.test:P (CORS_ORIGINS), the API on 127.0.0.1.
import type { Client, ClientOptions } from 'graphql-ws';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, type TestApp } from '../testkit/app.js';
import { launchBrowser, startPageServer } from '../testkit/browser.js';

let t: TestApp;
let browser: Browser;
let pages: Awaited<ReturnType<typeof startPageServer>>;

beforeAll(async () => {
  pages = await startPageServer();
  t = await startTestApp({ env: { CORS_ORIGINS: `http://app.test:${pages.port}` } });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await t?.stop();
  await pages?.stop();
});

interface FrontendRun {
  requestId: string | null;
  role: string;
  listed: number;
  event: { email: string };
  imported: { status: string; created: number };
  exportDisposition: string | null;
  exportBody: string;
}

/** The frontend's whole session, run inside the page (so in the page's origin). */
async function runFrontend(origin: string): Promise<FrontendRun> {
  const page = await browser.newPage();
  try {
    await page.goto(`${origin}/`);
    const api = t.url;
    return await page.evaluate(
      async ({ api, email, password, newEmail, csvEmail }) => {
        // What Apollo Client's HttpLink sends.
        const gql = async <T,>(query: string, variables: Record<string, unknown>, token?: string) => {
          const response = await fetch(api, {
            method: 'POST',
            headers: {
              accept: 'application/graphql-response+json,application/json;q=0.9',
              'content-type': 'application/json',
              ...(token ? { authorization: `Bearer ${token}` } : {}),
            },
            body: JSON.stringify({ query, variables }),
          });
          const body = (await response.json()) as { data: T; errors?: unknown[] };
          if (body.errors) throw new Error(JSON.stringify(body.errors));
          return { data: body.data, requestId: response.headers.get('x-request-id') };
        };

        const login = await gql<{ login: { accessToken: string; user: { role: string } } }>('mutation Login($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken user { role } } }', { e: email, p: password });
        const token = login.data.login.accessToken;
        const list = await gql<{ users: { edges: unknown[] } }>('query Users { users(first: 5, filter: { search: "example" }) { edges { node { id email } } } }', {}, token);

        // GraphQLWsLink: graphql-ws with the token in connectionParams.
        const { createClient } = (globalThis as unknown as { graphqlWs: { createClient: (o: ClientOptions) => Client } }).graphqlWs;
        const ws = createClient({ url: api.replace(/^http/, 'ws'), connectionParams: { authorization: `Bearer ${token}` } });
        const event = new Promise<{ email: string }>((resolve, reject) => {
          ws.subscribe(
            { query: 'subscription { userCreated { email } }' },
            {
              next: (msg) => {
                const created = (msg.data as { userCreated: { email: string } } | undefined)?.userCreated;
                if (created?.email === newEmail) resolve(created);
              },
              error: (e: unknown) => reject(new Error(`subscription failed: ${JSON.stringify(e)}`)),
              complete: () => undefined,
            },
          );
        });
        // The subscription is live once the server acknowledged it; an event before that is lost.
        await new Promise((resolve) => ws.on('connected', resolve));
        await new Promise((resolve) => setTimeout(resolve, 300));
        await gql('mutation Create($email: String!) { createUser(input: { email: $email, name: "From the browser" }) { id } }', { email: newEmail }, token);
        const created = await event;
        await ws.dispose();

        // apollo-upload-client's createUploadLink: the multipart request spec, plus the header
        // Apollo Server's CSRF prevention asks for.
        const form = new FormData();
        form.append(
          'operations',
          JSON.stringify({
            query: 'mutation Import($file: Upload!) { importUsers(file: $file) { status created } }',
            variables: { file: null },
          }),
        );
        form.append('map', JSON.stringify({ 1: ['variables.file'] }));
        form.append('1', new Blob([`email,name\n${csvEmail},Uploaded\n`], { type: 'text/csv' }), 'users.csv');
        const upload = await fetch(api, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
          body: form,
        });
        const imported = ((await upload.json()) as { data: { importUsers: { status: string; created: number } } }).data.importUsers;

        const exported = await gql<{ exportUsers: { url: string } }>('mutation Export { exportUsers(format: CSV, fields: [EMAIL]) { url } }', {}, token);
        const download = await fetch(exported.data.exportUsers.url);
        return {
          requestId: list.requestId,
          role: login.data.login.user.role,
          listed: list.data.users.edges.length,
          event: created,
          imported,
          exportDisposition: download.headers.get('content-disposition'),
          exportBody: await download.text(),
        };
      },
      {
        api,
        email: ADMIN_EMAIL,
        password: ADMIN_PASSWORD,
        newEmail: `browser-${Date.now()}@example.test`,
        csvEmail: `uploaded-${Date.now()}@example.test`,
      },
    );
  } finally {
    await page.close();
  }
}

describe('a frontend on another origin, in Chromium', () => {
  it('logs in, lists, subscribes, uploads and downloads an export from a localhost dev server (the default outside production)', async () => {
    const run = await runFrontend(`http://localhost:${pages.port}`);
    expect(run.role).toBe('ADMIN');
    expect(run.listed).toBeGreaterThan(0);
    expect(run.requestId).toMatch(/.+/);
    expect(run.event.email).toMatch(/^browser-/);
    expect(run.imported).toEqual({ status: 'SUCCEEDED', created: 1 });
    expect(run.exportDisposition).toMatch(/attachment; filename=".+\.csv"/);
    expect(run.exportBody).toMatch(/uploaded-\d+@example\.test/);
  });

  it('does the same from an origin listed in CORS_ORIGINS', async () => {
    const run = await runFrontend(`http://app.test:${pages.port}`);
    expect(run.role).toBe('ADMIN');
    expect(run.imported.created).toBe(1);
  });

  it('refuses a page from an origin that is not allowed, over HTTP and WebSocket', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`http://evil.test:${pages.port}/`);
      const outcome = await page.evaluate(
        async ({ api, email, password }) => {
          let http: string;
          try {
            const response = await fetch(api, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ query: 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }', variables: { e: email, p: password } }),
            });
            http = `answered ${response.status}`;
          } catch (error) {
            http = (error as Error).name;
          }
          const ws = await new Promise<string>((resolve) => {
            const socket = new WebSocket(api.replace(/^http/, 'ws'), 'graphql-transport-ws');
            socket.onopen = () => resolve('opened');
            socket.onclose = (e) => resolve(`closed ${e.code}`);
          });
          return { http, ws };
        },
        { api: t.url, email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
      );
      // fetch rejects with a TypeError ("Failed to fetch"); the socket never opens (the server
      // answered the upgrade with 403, which a browser reports as 1006).
      expect(outcome).toEqual({ http: 'TypeError', ws: 'closed 1006' });
    } finally {
      await page.close();
    }
  });
});
