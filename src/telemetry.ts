// OpenTelemetry traces, only when OTEL_EXPORTER_OTLP_ENDPOINT is set: then one trace per request,
// from the HTTP server span through Express and GraphQL (parse, validate, resolvers) to each SQL
// statement on PostgreSQL (pg) and each Redis command (ioredis), exported over OTLP/HTTP.
//
// Unset, nothing here is even loaded (main.ts imports this module on demand): no SDK, no hooks,
// no patched modules, so tracing costs nothing when it is off.
//
// The instrumentations patch modules as they load, so this must run before the app is imported:
// main.ts starts it, then imports app.js. The application is ESM, so besides the CommonJS hook
// the SDK installs, the ESM loader hook (import-in-the-middle) is registered here.
import { register } from 'node:module';

export interface Tracing {
  /** Flushes buffered spans and stops exporting (after the server has drained). */
  shutdown(): Promise<void>;
}

export async function startTracing(options: { endpoint: string; serviceName: string }): Promise<Tracing> {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const [{ NodeSDK }, { OTLPTraceExporter }, { HttpInstrumentation }, { ExpressInstrumentation }, { GraphQLInstrumentation }, { PgInstrumentation }, { IORedisInstrumentation }] =
    await Promise.all([
      import('@opentelemetry/sdk-node'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/instrumentation-http'),
      import('@opentelemetry/instrumentation-express'),
      import('@opentelemetry/instrumentation-graphql'),
      import('@opentelemetry/instrumentation-pg'),
      import('@opentelemetry/instrumentation-ioredis'),
    ]);
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    traceExporter: new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/$/, '')}/v1/traces` }),
    instrumentations: [
      new HttpInstrumentation({
        // Probes would be most of the traces, and none of the interesting ones.
        ignoreIncomingRequestHook: (req) => ['/healthz', '/readyz', '/metrics'].includes((req.url ?? '').split('?')[0]!),
      }),
      new ExpressInstrumentation(),
      // Resolver spans for fields that only read a property would drown the ones that do work.
      new GraphQLInstrumentation({ ignoreTrivialResolveSpans: true, mergeItems: true }),
      new PgInstrumentation(),
      new IORedisInstrumentation(),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
