// Security headers on every answer (helmet), and HSTS when the client came over HTTPS as far as
// TRUST_PROXY lets us know (req.secure reads X-Forwarded-Proto only from a trusted proxy; a
// header anyone can send must not pin a browser to HTTPS for a year).
import type { RequestHandler } from 'express';
import helmet from 'helmet';

const HSTS = 'max-age=31536000; includeSubDomains';

export function securityHeaders(options: { production: boolean }): RequestHandler[] {
  return [
    helmet({
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
    }),
    (req, res, next) => {
      if (req.secure) res.set('strict-transport-security', HSTS);
      next();
    },
  ];
}
