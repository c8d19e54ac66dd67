// Prisma CLI configuration. The runtime never reads this file: the server builds its own
// driver adapter (see src/db/client.ts). The URL here only matters to `prisma` CLI commands
// that need a database, which this project runs through src/db/migrate.ts instead.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost/unused' },
});
