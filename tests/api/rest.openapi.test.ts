// /api/openapi.json is a valid OpenAPI 3.1 document (checked by a real validator), describes every
// endpoint of the table, generates a typed client with openapi-typescript that compiles,
// and /api/docs serves a reference page whose scripts come from this server (offline).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testkit/app.js';

let t: TestApp;
let base: string;
let document: { openapi: string; paths: Record<string, Record<string, { operationId: string; security?: unknown[]; responses: Record<string, unknown> }>>; components: { securitySchemes: Record<string, unknown> } };
beforeAll(async () => {
  t = await startTestApp();
  base = new URL(t.url).origin;
  const response = await fetch(`${base}/api/openapi.json`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  document = (await response.json()) as typeof document;
});
afterAll(async () => {
  await t?.stop();
});

/** A new connection each time: never a pooled socket the server has just closed. */
const FRESH = { headers: { connection: 'close' } };

describe('/api/docs', () => {
  it('serves the reference page and its scripts from this server', async () => {
    const page = await fetch(`${base}/api/docs`, FRESH);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    const html = await page.text();
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(sources).toEqual(['/api/docs/swagger-ui.css', '/api/docs/swagger-ui-bundle.js', '/api/docs/init.js']);
    for (const source of sources) {
      const asset = await fetch(`${base}${source}`, FRESH);
      expect(asset.status, source).toBe(200);
      expect(asset.headers.get('content-type'), source).toMatch(source.endsWith('.css') ? /^text\/css/ : /^(text|application)\/javascript/);
      expect((await asset.text()).length, source).toBeGreaterThan(source.endsWith('init.js') ? 10 : 10_000);
    }
  });
});

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1 for a real validator', async () => {
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(document);
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('describes every endpoint of the REST API, with bearer security, ETag and If-Match', () => {
    const operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual(
      [
        'POST /api/auth/login',
        'GET /api/users',
        'POST /api/users',
        'GET /api/users/{id}',
        'PATCH /api/users/{id}',
        'DELETE /api/users/{id}',
        'GET /api/users/stats',
        'GET /api/users/export',
        'POST /api/users/import',
        'POST /api/users/bulk/activate',
        'POST /api/users/bulk/deactivate',
        'POST /api/users/bulk/delete',
        'POST /api/users/{id}/suspend',
        'POST /api/users/{id}/unsuspend',
        'POST /api/users/{id}/restore',
        'POST /api/users/{id}/activate',
        'POST /api/users/{id}/deactivate',
        'GET /api/webhooks',
        'POST /api/webhooks',
        'GET /api/webhooks/{id}',
        'PATCH /api/webhooks/{id}',
        'DELETE /api/webhooks/{id}',
        'POST /api/webhooks/{id}/rotate-secret',
        'GET /api/webhooks/{id}/deliveries',
      ].sort(),
    );
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    const patch = document.paths['/api/users/{id}']!.patch as unknown as { security: unknown; parameters: { name: string; in: string }[]; responses: Record<string, { headers?: Record<string, unknown> }> };
    expect(patch.security).toEqual([{ bearerAuth: [] }]);
    expect(patch.parameters).toContainEqual(expect.objectContaining({ name: 'if-match', in: 'header' }));
    expect(Object.keys(patch.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404', '412', '429', '503']));
    expect(patch.responses['200']!.headers).toHaveProperty('etag');
    const list = document.paths['/api/users']!.get as unknown as { parameters: { name: string; schema: { type?: string } }[] };
    expect(list.parameters.find((p) => p.name === 'limit')?.schema).toMatchObject({ type: 'integer', maximum: 100 });
    expect(list.parameters.find((p) => p.name === 'role')?.schema).toMatchObject({ type: 'array' });
  });

  it('generates a typed client with openapi-typescript that compiles and types the paths', async () => {
    const types = astToString(await openapiTS(new URL(`${base}/api/openapi.json`)));
    const dir = mkdtempSync(join(tmpdir(), 'openapi-client-'));
    try {
      writeFileSync(join(dir, 'api.d.ts'), types);
      // A caller's code against the generated types: a wrong field must not compile.
      writeFileSync(
        join(dir, 'use.ts'),
        [
          "import type { paths, components } from './api.js';",
          "type User = components['schemas']['User'];",
          "type Page = paths['/api/users']['get']['responses'][200]['content']['application/json'];",
          "export const email = (u: User): string => u.email;",
          "export const first = (p: Page): User | undefined => p.data[0];",
          "export const limit: NonNullable<paths['/api/users']['get']['parameters']['query']>['limit'] = 10;",
          "// @ts-expect-error passwordHash is not part of a User",
          "export const secret = (u: User) => u.passwordHash;",
        ].join('\n'),
      );
      const program = ts.createProgram([join(dir, 'use.ts')], { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true });
      const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
