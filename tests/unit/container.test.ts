// The container files, checked for what the README promises about them (no engine runs here to
// build them; `npm run lint:container` checks their syntax and conventions).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

describe('Dockerfile', () => {
  const lines = read('Dockerfile')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'));
  const stages = lines.filter((l) => l.startsWith('FROM '));
  const runtime = lines.slice(lines.indexOf(stages.at(-1)!));

  it('is multi-stage, and the runtime stage gets production dependencies only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const depsStage = stages.find((s) => / AS deps$/i.test(s));
    expect(depsStage).toBeDefined();
    expect(lines.some((l) => /npm ci .*--omit=dev/.test(l))).toBe(true);
    expect(runtime.some((l) => /COPY --from=deps .*node_modules/.test(l))).toBe(true);
    expect(runtime.some((l) => /COPY --from=build .*dist/.test(l))).toBe(true);
  });

  it('runs node dist/main.bundle.js as a non-root user, with a HEALTHCHECK on /healthz', () => {
    const user = runtime.filter((l) => l.startsWith('USER ')).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/USER (root|0)\b/);
    expect(runtime.find((l) => l.startsWith('CMD '))).toMatch(/"node".*"dist\/main\.bundle\.js"/);
    expect(runtime.find((l) => l.startsWith('HEALTHCHECK '))).toMatch(/\/healthz/);
  });

  it('.dockerignore keeps secrets, data and host builds out of the context', () => {
    const ignore = read('.dockerignore').split('\n');
    // Everything is excluded unless re-included; .env is excluded again after.
    expect(ignore).toContain('*');
    expect(ignore).toContain('.env');
    expect(ignore.some((l) => /^!(data|node_modules|dist)/.test(l))).toBe(false);
  });
});

describe('compose.yaml', () => {
  const compose = read('compose.yaml');
  it('has PostgreSQL, Redis, two instances behind a load balancer, and migrations as a one-off step', () => {
    for (const service of ['postgres', 'redis', 'migrate', 'users-1', 'users-2', 'lb']) expect(compose).toMatch(new RegExp(`^  ${service}:$`, 'm'));
    expect(compose).toMatch(/migrate\.cli\.js", "deploy"/);
    expect(compose).toMatch(/MIGRATE_ON_START: "false"/);
    expect(compose.match(/condition: service_completed_successfully/g)).toHaveLength(2);
    expect(compose).toMatch(/server users-1:4000/);
    expect(compose).toMatch(/server users-2:4000/);
  });
});
