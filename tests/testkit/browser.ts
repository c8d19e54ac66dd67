// A real browser for tests: Debian's chromium (installed by .ci/run when missing) driven by
// playwright-core, and a tiny web server standing in for a frontend on another origin.
import { createReadStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Chromium resolving every `*.test` host to 127.0.0.1, so one local page server can play any
 * number of origins (http://app.test:P, http://evil.test:P).
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--host-resolver-rules=MAP *.test 127.0.0.1', '--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable'],
  });
}

const require = createRequire(import.meta.url);

/**
 * The frontend: an empty page that loads graphql-ws's browser build (the client Apollo Client's
 * GraphQLWsLink wraps), served on its own port.
 */
export async function startPageServer(): Promise<{ port: number; stop(): Promise<void> }> {
  // The package's exports map hides the browser build: find it beside package.json.
  const graphqlWs = join(dirname(require.resolve('graphql-ws/package.json')), 'umd', 'graphql-ws.min.js');
  const server: Server = createServer((req, res) => {
    if (req.url === '/graphql-ws.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      createReadStream(graphqlWs).pipe(res);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><meta charset="utf-8"><title>frontend</title><script src="/graphql-ws.js"></script>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
