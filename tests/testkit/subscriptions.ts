// graphql-ws over a real WebSocket (the `ws` package), as a Node client would subscribe.
// subscribe() collects results; waitFor()/expectNoMore() keep assertions bounded in time.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface WsClient {
  client: Client;
  /** Resolves with the close code once the socket closes. */
  closed: Promise<{ code: number; reason: string }>;
  dispose(): Promise<void>;
}

export function wsClient(url: string, token: string | undefined): WsClient {
  let onClosed!: (v: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClosed = resolve));
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    on: {
      closed: (event) => {
        const e = event as { code: number; reason: string | Buffer };
        onClosed({ code: e.code, reason: String(e.reason) });
      },
    },
    // A closed socket is the outcome under test in auth tests, not something to report.
    onNonLazyError: () => undefined,
  });
  return { client, closed, dispose: () => Promise.resolve(client.dispose()) };
}

export class Subscription<T> {
  readonly results: T[] = [];
  readonly errors: unknown[] = [];
  completed = false;
  private listeners = new Set<() => void>();
  private readonly unsubscribe: () => void;

  constructor(client: Client, query: string, variables: Record<string, unknown> | undefined) {
    this.unsubscribe = client.subscribe<T>(
      { query, ...(variables ? { variables } : {}) },
      {
        next: (result) => {
          if (result.errors) this.errors.push(result.errors);
          else if (result.data) this.results.push(result.data);
          this.notify();
        },
        error: (error) => {
          this.errors.push(error);
          this.notify();
        },
        complete: () => {
          this.completed = true;
          this.notify();
        },
      },
    );
  }

  /** Waits until `predicate` holds for the results so far; fails after `timeoutMs`. */
  async waitUntil(predicate: (results: T[]) => boolean, timeoutMs = 5_000, what = 'subscription results'): Promise<T[]> {
    if (predicate(this.results)) return this.results;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${JSON.stringify(this.results).slice(0, 2000)} errors ${JSON.stringify(this.errors)}`));
      }, timeoutMs);
      const check = () => {
        if (predicate(this.results) || this.errors.length > 0 || this.completed) {
          clearTimeout(timer);
          this.listeners.delete(check);
          resolve();
        }
      };
      this.listeners.add(check);
    });
    if (!predicate(this.results)) throw new Error(`subscription ended or failed: ${JSON.stringify(this.errors)}`);
    return this.results;
  }

  waitFor(count: number, timeoutMs = 5_000): Promise<T[]> {
    return this.waitUntil((r) => r.length >= count, timeoutMs, `${count} results`);
  }

  /** Waits `ms` and checks nothing beyond `count` results arrived (duplicates would). */
  async expectNoMore(count: number, ms = 500): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    if (this.results.length !== count) throw new Error(`expected exactly ${count} results, got ${this.results.length}: ${JSON.stringify(this.results).slice(0, 2000)}`);
  }

  stop(): void {
    this.unsubscribe();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

export function subscribe<TData, TVars extends Record<string, unknown> = Record<string, unknown>>(
  ws: WsClient,
  document: TypedDocumentNode<TData, TVars> | DocumentNode,
  variables?: TVars,
): Subscription<TData> {
  return new Subscription<TData>(ws.client, print(document), variables);
}

/** Polls `condition` every 10 ms until true; fails after `timeoutMs`. */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
