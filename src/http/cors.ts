// Which browser pages may call this API from another origin, over HTTP (the `cors` package, on
// /graphql and the export links) and over WebSocket (the upgrade's Origin header, checked here
// because browsers apply no CORS to WebSockets: without it any site a signed-in user visits
// could open a subscription with that user's token in hand — cross-site WebSocket hijacking).
// The REST API (/api) uses the same settings (rest/rest.router.ts).
import type { IncomingMessage } from 'node:http';
import cors from 'cors';
import type { RequestHandler } from 'express';
import type { CorsSettings } from '../config.js';

/** Request headers a browser client may send: Apollo Client's, uploads', tracing's and REST's conditional requests. */
export const CORS_ALLOWED_HEADERS = ['authorization', 'content-type', 'apollo-require-preflight', 'x-apollo-operation-name', 'x-request-id', 'if-match', 'if-none-match'];

/**
 * Response headers a page may read: the request id to quote in a bug report, the rate limiter's
 * answer, an export's file name, and REST's ETag and Location.
 */
export const CORS_EXPOSED_HEADERS = ['x-request-id', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'content-disposition', 'etag', 'location'];

// Any port: a frontend's dev server (Vite 5173, CRA 3000, …) works without configuration.
const LOCAL_DEV_ORIGIN = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/** Apollo Sandbox, which the landing page embeds, sends its requests from this origin. */
const SANDBOX_ORIGIN = 'https://sandbox.embed.apollographql.com';

/** True when a page from `origin` may call the API. */
export function originAllowed(settings: CorsSettings, origin: string): boolean {
  if (settings.origins.includes('*') || settings.origins.includes(origin)) return true;
  return settings.allowLocalhost && (LOCAL_DEV_ORIGIN.test(origin) || origin === SANDBOX_ORIGIN);
}

/**
 * The CORS middleware. A preflight (OPTIONS) is answered here with 204 and never reaches Apollo,
 * whose CSRF check would refuse it. An origin not allowed gets no Access-Control-Allow-Origin,
 * so the browser withholds the answer from the page (and, for anything but a simple request,
 * does not send the request at all after the preflight).
 */
export function corsMiddleware(settings: CorsSettings, options: { methods?: string[] } = {}): RequestHandler {
  const anyOrigin = settings.origins.includes('*');
  const middleware = cors({
    // `*` is for public, token-only use: browsers refuse credentials with a wildcard origin.
    origin: anyOrigin ? '*' : (origin, callback) => callback(null, origin !== undefined && originAllowed(settings, origin)),
    credentials: !anyOrigin,
    // GraphQL needs GET and POST; the REST API (/api) passes its PATCH and DELETE too.
    methods: options.methods ?? ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    maxAge: 600,
    optionsSuccessStatus: 204,
  });
  if (anyOrigin) return middleware;
  // A request without Origin comes from no browser page (servers, curl, mobile apps): no
  // Access-Control-* header means anything to its client, and the package's option handling
  // was ~2% of a small query's CPU. The answer still varies by Origin, for caches.
  return (req, res, next) => {
    if (req.headers.origin === undefined && req.method !== 'OPTIONS') {
      res.vary('Origin');
      next();
      return;
    }
    middleware(req, res, next);
  };
}

/**
 * The WebSocket upgrade's check: a browser always sends Origin, other clients (Node's `ws`,
 * mobile apps) usually none, and those are let through to the token check.
 */
export function websocketOriginAllowed(settings: CorsSettings, request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  return origin === undefined || sameHost(origin, request.headers.host) || originAllowed(settings, origin);
}

/** A page served by this server itself (same host and port) is not cross-site. */
function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}
