// Writes schema.graphql from the TypeGraphQL classes; with --check, fails if the committed file
// differs (CI runs the check so schema changes always show up in review).
import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printSchema, lexicographicSortSchema } from 'graphql';
import { projectRoot } from './paths.js';
import { createSchema } from './schema.js';

const HEADER = '# Generated from the TypeGraphQL classes by `npm run schema:emit`. Do not edit.\n\n';

async function main(): Promise<void> {
  const file = join(projectRoot(), 'schema.graphql');
  const schema = await createSchema({ introspectionCheck: true });
  const text = HEADER + printSchema(lexicographicSortSchema(schema)) + '\n';
  if (process.argv.includes('--check')) {
    const current = readFileSync(file, 'utf8');
    if (current !== text) {
      process.stderr.write('schema.graphql is stale: run `npm run schema:emit` and commit it.\n');
      process.exit(1);
    }
    process.stdout.write('schema.graphql is up to date.\n');
    return;
  }
  writeFileSync(file, text);
  process.stdout.write(`wrote ${file}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
