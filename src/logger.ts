// One pino logger for the process; components take a child (`logger.child({ component })`).
import { trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Writes to stdout unless given another destination (tests read the lines back). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'users-service' },
    // With tracing on (telemetry.ts), each line logged inside a traced request names its trace.
    // Off, there is never an active span and this adds nothing.
    mixin: (_object: object, _level: number, logger: Logger) => {
      // The access log binds the request's trace id itself (access-log.ts): no second key.
      if ('trace_id' in logger.bindings()) return {};
      const span = trace.getActiveSpan()?.spanContext();
      return span ? { trace_id: span.traceId, span_id: span.spanId } : {};
    },
    // Never let a secret reach the logs even if someone logs a whole input object.
    redact: { paths: ['*.password', '*.passwordHash', '*.authorization', '*.accessToken', 'req.headers.authorization'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}
