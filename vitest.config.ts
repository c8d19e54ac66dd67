import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // One graphql instance: type-graphql loads the CommonJS build, so everything must.
    alias: { graphql: require.resolve('graphql') },
  },
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/testkit/global-setup.ts'],
    setupFiles: ['tests/testkit/setup.ts'],
    // Each file starts its own server (and, on PGlite, its own in-memory database).
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
