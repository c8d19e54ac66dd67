// One pino logger for the process; components take a child (`logger.child({ component })`).
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Writes to stdout unless given another destination (tests read the lines back). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'users-service' },
    // Never let a secret reach the logs even if someone logs a whole input object.
    redact: { paths: ['*.password', '*.passwordHash', '*.authorization', '*.accessToken', 'req.headers.authorization'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}
