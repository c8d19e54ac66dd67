// GET /api/openapi.json (the document, built once from the declared operations) and GET
// /api/docs, a reference page: Swagger UI from the swagger-ui-dist package (no dependencies, no
// CDN), so it works offline. Its own CSP allows scripts and styles from this server only; the
// page's start-up script is a file here too, not inline, so no 'unsafe-inline' for scripts.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import express, { type Router } from 'express';
import { openApiDocument } from './openapi.document.js';
import type { RestRegistry } from './rest.operation.js';

const SWAGGER_UI_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

// Swagger UI sets style attributes and shows its logo as a data: URL.
const DOCS_CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>users service · REST API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#swagger-ui', deepLinking: true, tryItOutEnabled: false });\n`;

export function docsRoutes(router: Router, api: RestRegistry, info: { title: string; version: string }): void {
  let document: string | undefined;
  router.get('/api/openapi.json', (_req, res) => {
    // Built on first use: every operation is declared by then.
    document ??= JSON.stringify(openApiDocument(api, info));
    res.type('application/json').set('cache-control', 'no-cache').send(document);
  });
  router.get('/api/docs', (_req, res) => {
    res.set('content-security-policy', DOCS_CSP).type('html').send(PAGE);
  });
  router.get('/api/docs/init.js', (_req, res) => {
    res.type('text/javascript').send(INIT);
  });
  const assets = express.static(SWAGGER_UI_DIR, { index: false, fallthrough: false, maxAge: '1h' });
  for (const file of ['swagger-ui.css', 'swagger-ui-bundle.js']) {
    router.get(`/api/docs/${file}`, (req, res, next) => {
      req.url = `/${file}`;
      assets(req, res, next);
    });
  }
}
