// How every peer server process of the peers bench runs: it listens on PORT (HOST, default
// 127.0.0.1), says "listening <port>" on stdout (what bench/server-process.ts waits for), and on
// SIGTERM or SIGINT stops accepting, releases what it holds and exits.
import type { Server } from 'node:http';

export function serveUntilSignal(server: Server, release: () => unknown): void {
  const port = Number(process.env.PORT);
  server.listen(port, process.env.HOST ?? '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
  const stop = () => {
    server.close();
    void Promise.resolve(release()).then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
