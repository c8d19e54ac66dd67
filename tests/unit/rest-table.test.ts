// The README's REST endpoint table is the declared operations (src/rest/*.route.ts): every
// method and path, and the permission each one's service asserts. Declaring an operation
// builds nothing that runs here, so no database or services are needed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { restApi } from '../../src/rest/rest.router.js';
import type { Services } from '../../src/services.js';

function declared(): string[] {
  const { api } = restApi({} as Services, createLogger('silent'), {
    cors: { origins: [], allowLocalhost: false },
    uploadMaxBytes: 1,
    metrics: {} as Services['metrics'],
    rateLimit: () => (_req, _res, next) => next(),
    version: 'test',
  });
  return api.operations.map((op) => `${op.method.toUpperCase()} ${op.path} ${op.permission ?? 'none'}`).sort();
}

function documented(): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('## REST API');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const rows: string[] = [];
  for (const line of section.split('\n').filter((l) => /^\| `(GET|POST|PATCH|DELETE)`/.test(l))) {
    const [method, paths, permission] = line.split(' | ').map((cell) => cell.replace(/^\| /, ''));
    const [first, ...more] = [...paths!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.split('?')[0]!);
    // `/api/users/:id/suspend`, `/unsuspend`: a short path replaces as many trailing segments.
    const all = [first!, ...more.map((p) => first!.split('/').slice(0, -(p.split('/').length - 1)).join('/') + p)];
    const name = /^`([\w.]+)`/.exec(permission!)?.[1] ?? permission!.trim();
    for (const path of all) rows.push(`${method!.replaceAll('`', '')} ${path} ${name}`);
  }
  return rows.sort();
}

describe("the README's REST endpoint table", () => {
  it('lists exactly the declared operations with their permissions', () => {
    expect(documented()).toEqual(declared());
  });
});
