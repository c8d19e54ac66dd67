// Runs `prisma generate` on a machine with or without internet.
// The Prisma 7 CLI insists that a schema-engine binary exists before generating, and tries to
// download one when it does not. Generating needs no engine at all, so point the CLI at an
// existing file (this script) unless the caller chose a real engine.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(import.meta.url);
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
env.CHECKPOINT_DISABLE = '1';
const result = spawnSync('npx', ['--no-install', 'prisma', 'generate'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
