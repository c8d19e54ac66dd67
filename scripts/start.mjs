// `npm start`: runs the bundled server (dist/main.bundle.js), rebuilding it first only when a
// source changed since the last build. The check runs in this process rather than as a
// `prestart` script: a second Node process cost more than the check itself (a few milliseconds
// of stat calls). The container image runs dist/main.bundle.js directly (it has no sources).
import { buildIfStale } from './build.mjs';

await buildIfStale();
await import('../dist/main.bundle.js');
