// One HTTP POST to a webhook endpoint, and what came of it. Connections go through the SSRF
// guard's `lookup` (the address checked is the address connected to); redirects are not followed
// (node:http never does); the whole attempt, from DNS to the last byte, has one time limit; at most
// RESPONSE_CAP bytes of the answer are read, then dropped: a receiver cannot make us buffer a
// gigabyte or hold a socket open forever.
import http from 'node:http';
import https from 'node:https';
import type { WebhookUrlGuard } from './webhook.url-guard.js';

/** Bytes of a response body read (and discarded) before the socket is closed. */
export const RESPONSE_CAP = 64 * 1024;

export type AttemptOutcome = 'delivered' | 'http_error' | 'timeout' | 'network_error' | 'refused';

export interface AttemptResult {
  outcome: AttemptOutcome;
  statusCode: number | null;
  durationMs: number;
  /** What went wrong, for the deliveries log (never the secret or the body we sent). */
  error: string | null;
  /** Retry-After, as the receiver sent it (429, 503). */
  retryAfter: string | undefined;
}

export class WebhookSender {
  // Keep-alive: a busy endpoint gets its events over one connection. A reused socket was opened
  // to an address the guard checked, so reuse does not bypass it.
  private readonly agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 4 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 4 }),
  };

  constructor(
    private readonly guard: WebhookUrlGuard,
    private readonly timeoutMs: number,
  ) {}

  post(url: string, headers: Record<string, string>, body: string, signal?: AbortSignal): Promise<AttemptResult> {
    const started = performance.now();
    const target = new URL(url);
    const finish = (result: Omit<AttemptResult, 'durationMs' | 'retryAfter'> & { retryAfter?: string | undefined }): AttemptResult => ({
      retryAfter: undefined,
      ...result,
      durationMs: Math.round(performance.now() - started),
    });
    return new Promise<AttemptResult>((resolve) => {
      let done = false;
      const settle = (result: AttemptResult) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(result);
      };
      const transport = target.protocol === 'https:' ? https : http;
      const request = transport.request(
        target,
        {
          method: 'POST',
          agent: this.agents[target.protocol as 'http:' | 'https:'],
          lookup: this.guard.lookup,
          headers: {
            ...headers,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'users-service-webhooks/1',
          },
        },
        (response) => {
          const statusCode = response.statusCode ?? 0;
          let read = 0;
          const end = () => {
            const ok = statusCode >= 200 && statusCode < 300;
            settle(
              finish({
                outcome: ok ? 'delivered' : 'http_error',
                statusCode,
                error: ok ? null : `HTTP ${statusCode}`,
                retryAfter: headerOf(response.headers['retry-after']),
              }),
            );
          };
          response.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read >= RESPONSE_CAP) {
              // Enough: the status is what counts. Close rather than drain the rest.
              end();
              response.destroy();
            }
          });
          response.on('end', end);
          response.on('error', () => end());
        },
      );
      const timer = setTimeout(() => {
        settle(finish({ outcome: 'timeout', statusCode: null, error: `no answer within ${this.timeoutMs} ms` }));
        request.destroy();
      }, this.timeoutMs);
      const onAbort = () => {
        settle(finish({ outcome: 'network_error', statusCode: null, error: 'stopped: this instance is shutting down or lost the lease' }));
        request.destroy();
      };
      signal?.addEventListener('abort', onAbort);
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'WEBHOOK_URL_REFUSED') settle(finish({ outcome: 'refused', statusCode: null, error: error.message.slice(0, 500) }));
        else settle(finish({ outcome: 'network_error', statusCode: null, error: (error.code ?? error.message).slice(0, 500) }));
      });
      request.end(body);
    });
  }

  close(): void {
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
