// Errors never leak (issue 9 item 4). A login with a known password goes through every failure
// path of the HTTP transport, under each NODE_ENV (Express and Apollo read it and used to show
// stack traces outside production). Every answer must be a JSON error with a stable code and
// the right status, with no stack, no file path and no password; every log line is read back
// (at trace level) and must not hold the password either; client mistakes are not logged as
// errors; and nothing at all may be printed outside the logger (Express used to print the raw
// body, password included, to stderr).
import { format } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../testkit/app.js';
import { hostileCases, raw, type Answer } from '../testkit/hostile.js';
import { createUser, uniqueEmail } from '../testkit/seed.js';
import { eventually, Subscription, wsClient } from '../testkit/subscriptions.js';

const PASSWORD = 'Hunter2-correct-horse-7f3a';

interface Captured {
  logs: string[];
  printed: string[];
}

/** Runs `work` while every console method and process.stdout/stderr write is captured. */
async function capturingOutput<T>(printed: string[], work: () => Promise<T>): Promise<T> {
  const spies = [
    ...(['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        printed.push(format(...args));
      }),
    ),
    ...[process.stdout, process.stderr].map((stream) =>
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        printed.push(String(chunk));
        return true;
      }),
    ),
  ];
  try {
    return await work();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

function expectNoLeak(text: string, what: string): void {
  expect(text, what).not.toContain(PASSWORD);
  expect(text, what).not.toMatch(/\bat .+:\d+:\d+|node_modules|\/work\/|\/home\/|[A-Z]:\\|stacktrace|<html|<pre>/i);
  expect(text, what).not.toMatch(/\b(SELECT|INSERT|UPDATE|DELETE)\b.+\b(FROM|INTO|SET)\b/);
}

function parsed(answer: Answer): {
  data?: { login?: { accessToken: string } | null } | null;
  errors?: { message: string; extensions?: { code?: string; status?: number } }[];
} {
  return JSON.parse(answer.body) as ReturnType<typeof parsed>;
}

for (const nodeEnv of ['development', 'production', 'test'] as const) {
  describe(`HTTP failures under NODE_ENV=${nodeEnv}`, () => {
    let t: TestApp;
    let email: string;
    const captured: Captured = { logs: [], printed: [] };

    beforeAll(async () => {
      // Express and Apollo read NODE_ENV themselves when they are created.
      vi.stubEnv('NODE_ENV', nodeEnv);
      t = await startTestApp({ env: { NODE_ENV: nodeEnv }, log: { level: 'trace', write: (line) => captured.logs.push(line) } });
      email = uniqueEmail('leak');
      await createUser(t.admin, { email, password: PASSWORD });
    });
    afterAll(async () => {
      await t?.stop();
      vi.unstubAllEnvs();
    });

    it('answers each one with a JSON error, its code and status, and leaks the password nowhere', async () => {
      const answers = await capturingOutput(captured.printed, async () => {
        const all: [string, Answer | undefined][] = [];
        for (const c of hostileCases(email, PASSWORD)) all.push([c.name, await c.send(t.url)]);
        // Still serving afterwards.
        (await t.admin.execute('{ __typename }')).expectData();
        return all;
      });

      const cases = new Map(hostileCases(email, PASSWORD).map((c) => [c.name, c.expect]));
      for (const [name, answer] of answers) {
        const expected = cases.get(name);
        if (!expected) {
          expect(answer, name).toBeUndefined();
          continue;
        }
        expect(answer, name).toBeDefined();
        expect({ name, status: answer!.status }).toEqual({ name, status: expected.status });
        expect(answer!.contentType, name).toMatch(/^application\/json/);
        expectNoLeak(answer!.body, name);
        const body = parsed(answer!);
        if (expected.code === '') {
          expect(body.data?.login?.accessToken, name).toBeTruthy();
          continue;
        }
        const extensions = body.errors?.[0]?.extensions;
        expect(extensions?.code, `${name}: ${answer!.body}`).toBe(expected.code);
        // A failed login is still an HTTP 200 GraphQL answer; its error says 401.
        expect(extensions?.status, name).toBe(expected.status === 200 ? 401 : expected.status);
      }

      for (const line of captured.logs) expectNoLeak(line, `log line ${line}`);
      // Client mistakes are not errors of ours: nothing at error level, no stack anywhere.
      const levels = captured.logs.map((line) => (JSON.parse(line) as { level: number }).level);
      expect(levels.filter((level) => level >= 50)).toEqual([]);
      expect(captured.logs.filter((line) => line.includes('"stack"'))).toEqual([]);
      // The refusals are in the log, at info, with their code.
      expect(captured.logs.some((line) => line.includes('"code":"PAYLOAD_TOO_LARGE"') && line.includes('"level":30'))).toBe(true);

      expect(captured.printed, 'printed outside the logger').toEqual([]);
    });

    it('answers an unknown route, and an export link that is not one, with a JSON error', async () => {
      const origin = new URL(t.url).origin;
      for (const [path, status, code] of [
        ['/', 404, 'NOT_FOUND'],
        ['/health', 404, 'NOT_FOUND'],
        ['/exports/not-a-link', 404, 'EXPORT_LINK_INVALID'],
      ] as const) {
        const answer = await raw(`${origin}${path}`, 'GET', {});
        expect(answer.status, path).toBe(status);
        expect(parsed(answer).errors?.[0]?.extensions, path).toEqual({ code, status });
      }
    });
  });
}

describe('graphql-ws failures', () => {
  let t: TestApp;
  const logs: string[] = [];
  beforeAll(async () => {
    t = await startTestApp({ log: { level: 'trace', write: (line) => logs.push(line) } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('gives a syntax error, an invalid operation and a bad variable their codes instead of INTERNAL_SERVER_ERROR or a closed socket', async () => {
    const ws = wsClient(t.wsUrl, t.admin.token);
    try {
      const cases = [
        ['subscription { userCreated { sequence ', 'GRAPHQL_PARSE_FAILED'],
        ['subscription { userCreated { noSuchField } }', 'GRAPHQL_VALIDATION_FAILED'],
        ['subscription($types: [UserEventType!]) { userEvents(types: $types) { sequence } }', 'BAD_USER_INPUT'],
      ] as const;
      for (const [query, code] of cases) {
        const sub = new Subscription(ws.client, query, { types: [PASSWORD] });
        await eventually(() => sub.errors.length > 0, 5_000, `an error for ${query}`);
        const errors = sub.errors.flat() as { message: string; extensions?: { code?: string } }[];
        expect(errors[0]?.extensions?.code, query).toBe(code);
        expect(JSON.stringify(errors)).not.toContain(PASSWORD);
      }
      // The socket survived all three.
      expect(ws.client).toBeDefined();
    } finally {
      await ws.dispose();
    }
    expect(logs.filter((line) => (JSON.parse(line) as { level: number }).level >= 50)).toEqual([]);
    for (const line of logs) expect(line).not.toContain(PASSWORD);
  });

  it('closes a socket on a malformed frame or an oversized message without printing, and keeps serving', async () => {
    const printed: string[] = [];
    await capturingOutput(printed, async () => {
      for (const payload of [Buffer.from([0xc3, 0x28]), Buffer.alloc(2 * 1024 * 1024, 0x61)]) {
        const socket = new WebSocket(t.wsUrl, 'graphql-transport-ws');
        await new Promise<void>((resolve, reject) => {
          socket.once('open', () => resolve());
          socket.once('error', reject);
        });
        const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
        // Invalid UTF-8 in a text frame (1007), then a message over maxPayload (1009).
        socket.send(payload, { binary: false });
        expect([1007, 1009]).toContain(await closed);
      }
    });
    expect(printed).toEqual([]);
    (await t.admin.execute('{ __typename }')).expectData();
  });
});
