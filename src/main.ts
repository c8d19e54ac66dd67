// Process entry: read config, start, stop cleanly on SIGINT/SIGTERM.
import 'reflect-metadata';
import { ConfigError, loadConfig } from './config.js';
import { DataDirLockedError } from './db/data-dir.lock.js';
import { pgliteWasmModule } from './db/pglite-wasm.js';
import type { Logger } from './logger.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  if (config.tracing && import.meta.url.endsWith('/main.bundle.js')) {
    // OpenTelemetry instruments express, graphql, pg and ioredis by patching them as Node loads
    // them from node_modules; the bundle (scripts/build.mjs) loads none of them. With tracing
    // on, hand over to the unbundled modules tsc wrote beside it, which start the same way.
    await import(new URL('./src/main.js', import.meta.url).href);
    return;
  }
  // The embedded database's WebAssembly compiles on background threads while the app loads.
  if (!config.database.url) void pgliteWasmModule().catch(() => undefined); // openDatabase reports a failure
  // Tracing patches modules as they load: start it before the app (and express, graphql, pg…) load.
  const tracing = config.tracing ? await (await import('./telemetry.js')).startTracing(config.tracing) : undefined;
  const { startApp } = await import('./app.js');
  const app = await startApp(config, tracing ? { onStopped: () => tracing.shutdown() } : {});
  guardProcess(app.log);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) process.exit(130); // a second Ctrl-C means "now"
    app.log.info({ signal }, 'signal received');
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/**
 * Nothing leaves the process outside the logger: Node prints warnings and uncaught errors to
 * stderr by itself. Every client-facing stream has its own error handling (src/http/: the
 * server, uploads, export downloads); an error that still escapes is a bug, logged as fatal, and
 * the process exits rather than serve on in an unknown state (a supervisor restarts it).
 */
function guardProcess(log: Logger): void {
  const die = (kind: string) => (error: unknown) => {
    log.fatal({ err: error }, `${kind}; exiting`);
    process.exit(1);
  };
  process.on('uncaughtException', die('uncaught exception'));
  process.on('unhandledRejection', die('unhandled promise rejection'));
  process.removeAllListeners('warning');
  process.on('warning', (warning) => log.warn({ warning: { name: warning.name, message: warning.message } }, 'process warning'));
}

main().catch((error: unknown) => {
  if (error instanceof DataDirLockedError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`Failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
