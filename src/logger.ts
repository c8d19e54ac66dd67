// One pino logger for the process; components take a child (`logger.child({ component })`).
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'users-service' },
    // Never let a secret reach the logs even if someone logs a whole input object.
    redact: { paths: ['*.password', '*.passwordHash', '*.authorization', '*.accessToken', 'req.headers.authorization'], censor: '[redacted]' },
  });
}
