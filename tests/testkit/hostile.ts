// Broken and hostile HTTP requests, each carrying a login password, as a careless client or an
// attacker sends them: malformed, oversized, wrongly encoded or compressed bodies, bad
// variables, bad tokens, multipart junk, requests cut off mid-body. Each case says what the
// server must answer; tests/transport-errors.test.ts and tests/process.test.ts send them all
// and check that the password shows up in no answer and no log line.
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';

export interface HostileCase {
  name: string;
  /** The status and code the server must answer with; undefined: the client leaves first. */
  expect: { status: number; code: string } | undefined;
  send: (url: string) => Promise<Answer | undefined>;
}

export interface Answer {
  status: number;
  contentType: string;
  body: string;
}

const LOGIN = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }';

/** The cases, for a login as `email` with `password` (a password that is right for `email`). */
export function hostileCases(email: string, password: string): HostileCase[] {
  const json = { 'content-type': 'application/json' };
  const login = (variables: Record<string, unknown>) => JSON.stringify({ query: LOGIN, variables });
  const goodBody = login({ e: email, p: password });
  const literal = (tail: string) =>
    `mutation { login(email: ${JSON.stringify(email)}, password: ${JSON.stringify(password)}${tail}`;
  const boundary = 'hostile-boundary';
  const multipart = { 'content-type': `multipart/form-data; boundary=${boundary}`, 'apollo-require-preflight': 'true' };
  const part = (name: string, value: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const post = (body: string | Buffer, headers: Record<string, string>) => (url: string) => raw(url, 'POST', headers, body);
  const code = (status: number, c: string) => ({ status, code: c });

  return [
    {
      name: 'the right password (not a failure: nothing logs it either)',
      expect: { status: 200, code: '' },
      send: post(goodBody, json),
    },
    {
      name: 'a wrong password',
      expect: code(200, 'UNAUTHENTICATED'),
      send: post(login({ e: email, p: `${password}-wrong` }), json),
    },
    {
      name: 'an unknown account',
      expect: code(200, 'UNAUTHENTICATED'),
      send: post(login({ e: `nobody-${email}`, p: password }), json),
    },
    { name: 'malformed JSON', expect: code(400, 'BAD_REQUEST'), send: post(goodBody.slice(0, -1), json) },
    { name: 'JSON with trailing garbage', expect: code(400, 'BAD_REQUEST'), send: post(`${goodBody}}`, json) },
    { name: 'a JSON string instead of an object', expect: code(400, 'BAD_REQUEST'), send: post(JSON.stringify(goodBody), json) },
    {
      name: 'a body over the JSON limit',
      expect: code(413, 'PAYLOAD_TOO_LARGE'),
      send: post(login({ e: email, p: password, pad: 'x'.repeat(3_000_000) }), json),
    },
    {
      name: 'gzip declared, not gzip',
      expect: code(400, 'BAD_REQUEST'),
      send: post(goodBody, { ...json, 'content-encoding': 'gzip' }),
    },
    {
      name: 'gzip of malformed JSON',
      expect: code(400, 'BAD_REQUEST'),
      send: post(gzipSync(goodBody.slice(0, -1)), { ...json, 'content-encoding': 'gzip' }),
    },
    {
      name: 'a gzip bomb',
      expect: code(413, 'PAYLOAD_TOO_LARGE'),
      send: post(gzipSync(login({ e: email, p: password, pad: ' '.repeat(20_000_000) })), {
        ...json,
        'content-encoding': 'gzip',
      }),
    },
    {
      name: 'an unsupported content-encoding',
      expect: code(415, 'UNSUPPORTED_MEDIA_TYPE'),
      send: post(goodBody, { ...json, 'content-encoding': 'compress' }),
    },
    {
      name: 'UTF-16 declared, UTF-8 sent',
      expect: code(400, 'BAD_REQUEST'),
      send: post(goodBody, { 'content-type': 'application/json; charset=utf-16' }),
    },
    {
      name: 'a non-UTF charset',
      expect: code(415, 'UNSUPPORTED_MEDIA_TYPE'),
      send: post(goodBody, { 'content-type': 'application/json; charset=latin1' }),
    },
    {
      name: 'text/plain (CSRF prevention)',
      expect: code(400, 'BAD_REQUEST'),
      send: post(goodBody, { 'content-type': 'text/plain' }),
    },
    {
      name: 'application/graphql',
      expect: code(400, 'BAD_REQUEST'),
      send: post(literal(') { accessToken } }'), { 'content-type': 'application/graphql' }),
    },
    { name: 'a batch', expect: code(400, 'BAD_REQUEST'), send: post(`[${goodBody}]`, json) },
    {
      name: 'the password as an object',
      expect: code(400, 'BAD_USER_INPUT'),
      send: post(login({ e: email, p: { value: password } }), json),
    },
    { name: 'the password in a list', expect: code(400, 'BAD_USER_INPUT'), send: post(login({ e: email, p: [password] }), json) },
    {
      name: 'the password as the email, in an object',
      expect: code(400, 'BAD_USER_INPUT'),
      send: post(login({ e: { password }, p: password }), json),
    },
    {
      name: 'variables as a string',
      expect: code(400, 'BAD_REQUEST'),
      send: post(JSON.stringify({ query: LOGIN, variables: JSON.stringify({ e: email, p: password }) }), json),
    },
    {
      name: 'a syntax error in the query',
      expect: code(400, 'GRAPHQL_PARSE_FAILED'),
      send: post(JSON.stringify({ query: literal(') { accessToken }') }), json),
    },
    {
      name: 'an unknown argument',
      expect: code(400, 'GRAPHQL_VALIDATION_FAILED'),
      send: post(JSON.stringify({ query: literal(', remember: true) { accessToken } }') }), json),
    },
    {
      name: 'a mutation over GET',
      expect: code(405, 'BAD_REQUEST'),
      send: (url) =>
        raw(`${url}?query=${encodeURIComponent(literal(') { accessToken } }'))}`, 'GET', { 'apollo-require-preflight': 'true' }),
    },
    { name: 'PUT', expect: code(405, 'BAD_REQUEST'), send: (url) => raw(url, 'PUT', json, goodBody) },
    {
      name: 'a bad bearer token',
      expect: code(200, 'UNAUTHENTICATED'),
      send: post(JSON.stringify({ query: '{ me { id } }' }), { ...json, authorization: 'Bearer not.a.token' }),
    },
    {
      name: 'the password as the bearer token',
      expect: code(200, 'UNAUTHENTICATED'),
      send: post(JSON.stringify({ query: '{ me { id } }' }), { ...json, authorization: `Bearer ${password}` }),
    },
    {
      name: 'the password as the Authorization header',
      expect: code(200, 'UNAUTHENTICATED'),
      send: post(JSON.stringify({ query: '{ me { id } }' }), { ...json, authorization: password }),
    },
    {
      name: 'multipart cut off',
      expect: code(400, 'BAD_REQUEST'),
      send: post(`${part('operations', goodBody)}--${boundary}\r\nContent-Disp`, multipart),
    },
    {
      name: 'multipart with invalid operations JSON',
      expect: code(400, 'BAD_REQUEST'),
      send: post(`${part('operations', goodBody.slice(0, -1))}${part('map', '{}')}--${boundary}--\r\n`, multipart),
    },
    {
      name: 'multipart without a boundary',
      expect: code(400, 'BAD_REQUEST'),
      send: post(part('operations', goodBody), { 'content-type': 'multipart/form-data', 'apollo-require-preflight': 'true' }),
    },
    {
      name: 'multipart without the preflight header',
      expect: code(400, 'BAD_REQUEST'),
      send: post(`${part('operations', goodBody)}${part('map', '{}')}--${boundary}--\r\n`, {
        'content-type': multipart['content-type'],
      }),
    },
    {
      name: 'a multipart field over 1 MB',
      expect: code(413, 'PAYLOAD_TOO_LARGE'),
      send: post(
        `${part('operations', login({ e: email, p: password, pad: 'x'.repeat(1_100_000) }))}--${boundary}--\r\n`,
        multipart,
      ),
    },
    {
      name: 'an unknown route',
      expect: code(404, 'NOT_FOUND'),
      send: (url) => raw(url.replace(/\/graphql$/, '/login'), 'POST', json, goodBody),
    },
    { name: 'a body cut off by a client that leaves', expect: undefined, send: (url) => cutOff(url, goodBody) },
  ];
}

/** One request as bytes on the wire, whatever the body. */
export function raw(url: string, method: string, headers: Record<string, string>, body?: string | Buffer): Promise<Answer> {
  const target = new URL(url);
  const bytes = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method,
        headers: { ...headers, ...(bytes ? { 'content-length': String(bytes.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    // The server may answer (413) and close before the whole body is out.
    req.on('error', (error) => reject(error));
    req.end(bytes);
  });
}

/** Half a body, then the connection goes. */
function cutOff(url: string, body: string): Promise<undefined> {
  const target = new URL(url);
  return new Promise((resolve) => {
    const req = httpRequest({
      host: target.hostname,
      port: target.port,
      path: target.pathname,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(body.length * 2) },
    });
    req.on('error', () => resolve(undefined));
    req.write(body);
    setTimeout(() => {
      req.destroy();
      resolve(undefined);
    }, 50);
  });
}
