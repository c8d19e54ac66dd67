// A real webhook receiver for tests: a node:http server on localhost that records every POST and
// verifies it with the `standardwebhooks` package, as a receiving service would. `respond` decides
// the status of each request (say 500 for the first two), `stop()`/`start()` take it down and back
// up on the same port (connection refused in between).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  at: number;
  headers: Record<string, string>;
  body: string;
  json: { id: string; sequence: string; type: string; [k: string]: unknown };
  /** Status we answered; 0 until we have (see `respond`). */
  status: number;
  /** The sender went away before we answered (its connection closed). */
  gone: boolean;
}

export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** The answer's status for the n-th request (0-based); a promise holds the answer until it settles. */
  respond: (n: number, json: ReceivedWebhook['json']) => number | Promise<number> = () => 204;
  private server: http.Server | undefined;
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const json = JSON.parse(body) as ReceivedWebhook['json'];
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        const entry: ReceivedWebhook = { at: Date.now(), headers, body, json, status: 0, gone: false };
        const n = this.received.push(entry) - 1;
        res.on('close', () => {
          if (entry.status === 0) entry.gone = true;
        });
        void Promise.resolve(this.respond(n, json)).then((status) => {
          // A sender that went away meanwhile (killed) never sees this answer: it does not count.
          if (entry.gone) return;
          entry.status = status;
          res.writeHead(status).end();
        });
      });
    });
    server.keepAliveTimeout = 100;
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  /** Requests answered 2xx whose signature verifies with `secret`. */
  delivered(secret: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.status >= 200 && r.status < 300 && verifies(secret, r));
  }

  /** Waits until `check` holds, polling every 20 ms; fails after `timeoutMs`. */
  async until(check: () => boolean, timeoutMs = 10_000, what = 'the expected deliveries'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for ${what}; received ${JSON.stringify(this.received.map((r) => [r.json.type, r.json.sequence, r.status]))}`,
        );
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** What a receiver does with the standardwebhooks library: throws unless the signature and timestamp check out. */
export function verifies(secret: string, received: Pick<ReceivedWebhook, 'headers' | 'body'>): boolean {
  try {
    new Webhook(secret).verify(received.body, received.headers);
    return true;
  } catch {
    return false;
  }
}
