// Security headers on every answer (helmet), and HSTS when the client came over HTTPS as far as
// TRUST_PROXY lets us know (req.secure reads X-Forwarded-Proto only from a trusted proxy; a
// header anyone can send must not pin a browser to HTTPS for a year).
import type { RequestHandler } from 'express';
import helmet from 'helmet';

const HSTS = 'max-age=31536000; includeSubDomains';

/** helmet's options: what it sends and why. */
export function helmetOptions(options: { production: boolean }): Parameters<typeof helmet>[0] {
  return {
    // Answers are JSON, CSV or (outside production) Apollo's landing page, which sets its own
    // script and style policy in a <meta> tag. Framing is refused everywhere (clickjacking);
    // in production, where there is no page at all, nothing may load either.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: options.production
        ? { defaultSrc: ["'none'"], frameAncestors: ["'none'"] }
        : { defaultSrc: helmet.contentSecurityPolicy.dangerouslyDisableDefaultSrc, frameAncestors: ["'none'"] },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: false,
    // Export links are fetched and opened by pages on other origins (CORS decides who may
    // read them); a same-origin resource policy would block a download started from them.
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  };
}

export function securityHeaders(options: { production: boolean }): RequestHandler[] {
  const headers = helmetHeaders(helmet(helmetOptions(options)));
  return [
    (req, res, next) => {
      for (const [name, value] of headers) res.setHeader(name, value);
      if (req.secure) res.setHeader('strict-transport-security', HSTS);
      next();
    },
  ];
}

/**
 * The headers helmet sets, read once by running it against a recording response. With these
 * options they are the same for every request (no CSP nonce, nothing read from the request), and
 * helmet's chain of a dozen middlewares was ~3% of a small query's CPU. helmet stays the source of
 * what to send; a test compares an answer's headers with helmet's own.
 */
function helmetHeaders(middleware: ReturnType<typeof helmet>): [string, string | string[]][] {
  const headers = new Map<string, string | string[]>();
  const recorder = {
    setHeader: (name: string, value: string | string[]) => headers.set(name.toLowerCase(), value),
    removeHeader: (name: string) => headers.delete(name.toLowerCase()),
  };
  let done = false;
  middleware({ headers: {} } as never, recorder as never, (error?: unknown) => {
    if (error) throw error instanceof Error ? error : new Error('helmet failed');
    done = true;
  });
  if (!done) throw new Error('helmet did not finish synchronously: its headers cannot be precomputed');
  return [...headers];
}
