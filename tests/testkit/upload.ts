// GraphQL multipart uploads (https://github.com/jaydenseric/graphql-multipart-request-spec) as
// a browser or curl sends them: fetch + FormData, with the apollo-require-preflight header that
// Apollo's CSRF prevention asks multipart clients for.
import { request as httpRequest } from 'node:http';
import { print } from 'graphql';
import { ImportUsersDocument, type ImportUsersMutation, type ImportUsersOptions } from '../generated/graphql.js';
import { GraphQLResult, type GraphQLClient, type GraphQLErrorShape } from './graphql.js';

export interface UploadOptions {
  options?: ImportUsersOptions;
  first?: number;
  filename?: string;
  /** Replaces the default headers (to leave out apollo-require-preflight, say). */
  headers?: Record<string, string>;
  /** Extra files appended after the first (the spec allows many; we allow one). */
  extraFiles?: number;
}

export async function uploadCsv(client: GraphQLClient, content: string | Uint8Array, opts: UploadOptions = {}): Promise<GraphQLResult<ImportUsersMutation>> {
  const form = new FormData();
  const files = 1 + (opts.extraFiles ?? 0);
  form.append(
    'operations',
    JSON.stringify({ query: print(ImportUsersDocument), variables: { file: null, options: opts.options ?? null, first: opts.first ?? 100 } }),
  );
  const map: Record<string, string[]> = { 0: ['variables.file'] };
  for (let i = 1; i < files; i++) map[String(i)] = [`variables.extra${i}`];
  form.append('map', JSON.stringify(map));
  for (let i = 0; i < files; i++) form.append(String(i), new Blob([content]), opts.filename ?? 'users.csv');
  const response = await fetch(client.url, {
    method: 'POST',
    headers: opts.headers ?? { 'apollo-require-preflight': 'true', ...(client.token ? { authorization: `Bearer ${client.token}` } : {}) },
    body: form,
  });
  const text = await response.text();
  let body: { data?: ImportUsersMutation | null; errors?: GraphQLErrorShape[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = { errors: [{ message: text.slice(0, 500), extensions: { code: `HTTP_${response.status}` } }] };
  }
  return new GraphQLResult(response.status, body);
}

/**
 * An upload whose file arrives in parts, each sent when the previous `waitFor()` resolves, over a
 * raw HTTP request with a Content-Length (as curl sends it). Resolves with the response as soon
 * as the server answers, which with `wait: false` is before the file has finished arriving.
 */
export function slowUpload(
  client: GraphQLClient,
  parts: string[],
  options: ImportUsersOptions,
  between: (sentParts: number) => Promise<void>,
): { response: Promise<GraphQLResult<ImportUsersMutation>>; finished: Promise<void> } {
  const boundary = `----users-test-${Date.now()}`;
  const operations = JSON.stringify({ query: print(ImportUsersDocument), variables: { file: null, options, first: 100 } });
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.file"]}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="slow.csv"\r\nContent-Type: text/csv\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const chunks = [head, ...parts, tail].map((s) => Buffer.from(s));
  const length = chunks.reduce((n, b) => n + b.length, 0);
  const url = new URL(client.url);
  let resolveResponse!: (r: GraphQLResult<ImportUsersMutation>) => void;
  let rejectResponse!: (e: Error) => void;
  const response = new Promise<GraphQLResult<ImportUsersMutation>>((resolve, reject) => {
    resolveResponse = resolve;
    rejectResponse = reject;
  });
  const req = httpRequest(
    {
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      headers: {
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(length),
        'apollo-require-preflight': 'true',
        authorization: `Bearer ${client.token}`,
      },
    },
    (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolveResponse(new GraphQLResult(res.statusCode ?? 0, JSON.parse(text) as { data?: ImportUsersMutation })));
    },
  );
  req.on('error', rejectResponse);
  const finished = (async () => {
    await new Promise((r) => setImmediate(r)); // lets the caller hold the returned object first
    req.write(chunks[0]);
    for (let i = 1; i < chunks.length; i++) {
      if (i > 1 && i < chunks.length - 1) await between(i - 1);
      req.write(chunks[i]);
    }
    req.end();
  })();
  return { response, finished };
}

/** CSV text from rows of cells (quotes only what needs them). */
export function csv(rows: (string | number | boolean | null)[][], eol = '\n'): string {
  return rows
    .map((r) => r.map((c) => (c === null ? '' : /[",\r\n]/.test(String(c)) ? `"${String(c).replace(/"/g, '""')}"` : String(c))).join(','))
    .join(eol) + eol;
}

/**
 * A raw multipart import whose file goes out in two writes, `pauseMs` apart: the first part
 * arrives (and the import starts) before the rest does. With `chunked` the request has no
 * Content-Length. `abortAfterFirst` drops the connection instead of sending the rest.
 */
export function splitUpload(
  client: GraphQLClient,
  file: string,
  opts: { splitAt: number; pauseMs: number; chunked: boolean; abortAfterFirst?: boolean },
): Promise<{ status: number; text: string } | { dropped: true }> {
  const boundary = `----users-split-${Date.now()}`;
  const operations = JSON.stringify({ query: print(ImportUsersDocument), variables: { file: null, options: null, first: 10 } });
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.file"]}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="split.csv"\r\nContent-Type: text/csv\r\n\r\n`;
  const first = Buffer.from(head + file.slice(0, opts.splitAt));
  const rest = Buffer.from(`${file.slice(opts.splitAt)}\r\n--${boundary}--\r\n`);
  const url = new URL(client.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          'content-type': `multipart/form-data; boundary=${boundary}`,
          ...(opts.chunked ? {} : { 'content-length': String(first.length + rest.length) }),
          'apollo-require-preflight': 'true',
          authorization: `Bearer ${client.token}`,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', (error) => (opts.abortAfterFirst ? resolve({ dropped: true }) : reject(error)));
    req.write(first);
    setTimeout(() => {
      if (opts.abortAfterFirst) {
        req.destroy();
        resolve({ dropped: true });
      } else {
        req.end(rest);
      }
    }, opts.pauseMs);
  });
}
