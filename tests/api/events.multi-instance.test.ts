// Two server processes (node dist/src/main.js) on one PostgreSQL database and one Redis: a
// mutation on one instance reaches a subscriber on the other exactly once, through Redis; after
// an instance is killed and restarted, a subscriber catches up from its cursor with no gap and
// no duplicate. PostgreSQL only (PGlite is one process); Redis at REDIS_URL or 127.0.0.1:6379.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateUserDocument,
  OnUserCreatedDocument,
  OnUserEventsDocument,
  SuspendUserDocument,
  UserEventLogDocument,
  UserImportProgressDocument,
  type UserImportProgressSubscription,
} from '../generated/graphql.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, databaseUrl } from '../testkit/app.js';
import { GraphQLClient } from '../testkit/graphql.js';
import { uniqueEmail } from '../testkit/seed.js';
import { subscribe, wsClient, type Subscription, type WsClient } from '../testkit/subscriptions.js';
import { csv, slowUpload } from '../testkit/upload.js';
import { freePort } from '../../devkit/free-port.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const JWT_SECRET = 'multi-instance-secret-0123456789-0123456789';

interface Instance {
  name: string;
  port: number;
  child: ChildProcess;
  output: string[];
  url: string;
  wsUrl: string;
}

describe.runIf(databaseUrl())('two instances with Redis', () => {
  const database = `users_mi_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  let dbUrl: string;
  const instances: Instance[] = [];
  const sockets: WsClient[] = [];
  let redisSpy: Redis;
  const redisMessages: { channel: string; events: { type: string; userId: string | null }[] }[] = [];
  const redisNotices: { channel: string; topic: string; key: string }[] = [];
  let a: Instance;
  let b: Instance;
  let admin: GraphQLClient;
  let token: string;

  beforeAll(async () => {
    // tsc emits even when some other file has a type error; the instances only need dist/.
    spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { encoding: 'utf8' });
    if (!existsSync('dist/src/main.js')) throw new Error('build failed: dist/src/main.js is missing');
    const server = new URL(databaseUrl()!);
    const client = new pg.Client({ connectionString: server.toString() });
    await client.connect();
    await client.query(`CREATE DATABASE ${database}`);
    await client.end();
    server.pathname = `/${database}`;
    dbUrl = server.toString();

    redisSpy = new Redis(REDIS_URL);
    redisSpy.on('pmessage', (pattern: string, channel: string, message: string) => {
      if (pattern === 'users-service:notices:*') redisNotices.push({ channel, ...(JSON.parse(message) as { topic: string; key: string }) });
      else redisMessages.push({ channel, events: JSON.parse(message) as { type: string; userId: string | null }[] });
    });
    await redisSpy.psubscribe('users-service:user-events:*', 'users-service:notices:*');

    // One after the other: the first applies the migrations and creates the first admin.
    a = await startInstance('a', true);
    b = await startInstance('b', false);
    admin = new GraphQLClient(a.url);
    token = (await admin.login(ADMIN_EMAIL, ADMIN_PASSWORD)).accessToken;
    admin = admin.withToken(token);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await Promise.all(instances.map((i) => stopInstance(i)));
    await redisSpy?.quit();
    const client = new pg.Client({ connectionString: databaseUrl() });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await client.end();
  }, 60_000);

  async function startInstance(name: string, migrate: boolean, port?: number): Promise<Instance> {
    const chosen = port ?? (await freePort());
    const output: string[] = [];
    const child = spawn(process.execPath, ['dist/src/main.js'], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        DATABASE_URL: dbUrl,
        JWT_SECRET,
        REDIS_URL,
        PORT: String(chosen),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        BCRYPT_COST: '4',
        MIGRATE_ON_START: migrate ? 'true' : 'false',
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
    const instance = { name, port: chosen, child, output, url: `http://127.0.0.1:${chosen}/graphql`, wsUrl: `ws://127.0.0.1:${chosen}/graphql` };
    instances.push(instance);
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`instance ${name} exited: ${output.join('')}`);
      const ok = await fetch(`http://127.0.0.1:${chosen}/readyz`).then((r) => r.ok, () => false);
      if (ok) return instance;
      if (Date.now() > deadline) throw new Error(`instance ${name} not ready: ${output.join('')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  function socket(instance: Instance): WsClient {
    const s = wsClient(instance.wsUrl, token);
    sockets.push(s);
    return s;
  }

  it('a user created on instance A reaches subscribers on A and on B exactly once, through Redis', async () => {
    const onB = subscribe(socket(b), OnUserCreatedDocument);
    const onA = subscribe(socket(a), OnUserCreatedDocument);
    // Until both subscriptions are attached, probes may be missed; after, nothing may be.
    for (let i = 0; ; i++) {
      const probe = (await admin.execute(CreateUserDocument, { input: { email: uniqueEmail('probe') } })).expectData().createUser;
      const seen = (s: typeof onA) => s.results.some((r) => r.userCreated.userId === probe.id);
      await new Promise((r) => setTimeout(r, 200));
      if (seen(onA) && seen(onB)) break;
      if (i > 25) throw new Error('subscriptions never attached');
    }
    const email = uniqueEmail('multi');
    const messagesBefore = redisMessages.length;
    const created = (await admin.execute(CreateUserDocument, { input: { email } })).expectData().createUser;
    await onB.waitUntil((r) => r.some((e) => e.userCreated.userId === created.id), 5_000);
    await onA.waitUntil((r) => r.some((e) => e.userCreated.userId === created.id), 5_000);
    // Longer than a relay poll (5 s with Redis): a duplicate from the table tail would show by now.
    await new Promise((r) => setTimeout(r, 5_500));
    expect(onB.results.filter((e) => e.userCreated.userId === created.id)).toHaveLength(1);
    expect(onA.results.filter((e) => e.userCreated.userId === created.id)).toHaveLength(1);
    expect(onB.results.find((e) => e.userCreated.userId === created.id)?.userCreated.email).toBe(email);
    // It travelled through Redis, on the channel of this database's stream.
    const published = redisMessages.slice(messagesBefore).filter((m) => m.events.some((e) => e.userId === created.id));
    expect(published).toHaveLength(1);
    onA.stop();
    onB.stop();
  });

  it('import progress from the instance running the import reaches a subscriber on the other one, chunk by chunk', async () => {
    const tag = uniqueEmail('mi-import').split('@')[0]!;
    const emails = Array.from({ length: 10_100 }, (_, i) => `${tag}.${i}@example.test`);
    // 100 rows first (less than a chunk: nothing is committed yet), the rest once B listens.
    const parts = [csv([['email'], ...emails.slice(0, 100).map((e) => [e])]), csv(emails.slice(100).map((e) => [e]))];
    let progress: Subscription<UserImportProgressSubscription> | undefined;
    const messagesBefore = redisMessages.length;
    const upload = slowUpload(admin, parts, { wait: false }, async () => {
      const id = (await upload.response).expectData().importUsers.id;
      const listening = subscribe(socket(b), UserImportProgressDocument, { id });
      progress = listening;
      await listening.waitFor(1); // B read the current state from the database
    });
    await upload.finished;
    const seen = await progress!.waitUntil((r) => r.some((p) => p.userImportProgress.status !== 'RUNNING'), 30_000);
    const states = seen.map((p) => p.userImportProgress);
    expect(states[0]).toMatchObject({ status: 'RUNNING', processedRows: 0 });
    // Everything after the first message came from A through Redis: B runs no import.
    expect(states.some((p) => p.status === 'RUNNING' && p.processedRows > 0)).toBe(true);
    expect(states[states.length - 1]).toMatchObject({ status: 'SUCCEEDED', created: 10_100, processedRows: 10_100 });
    expect(states[states.length - 1]!.finishedAt).toBeTruthy();
    // Progress travelled as notices on the events transport, not as events: the events channel
    // carried only the import's UserBulkAction per chunk.
    const id = states[0]!.id;
    expect(redisNotices.filter((n) => n.topic === 'import-progress' && n.key === id).length).toBeGreaterThan(1);
    expect(redisMessages.slice(messagesBefore).flatMap((m) => m.events.map((e) => e.type))).toEqual(['USER_BULK_ACTION', 'USER_BULK_ACTION', 'USER_BULK_ACTION']);
    progress!.stop();
  });

  it('after an instance is killed and restarted, a subscriber catches up from its cursor with no gap and no duplicate', async () => {
    const user = (await admin.execute(CreateUserDocument, { input: { email: uniqueEmail('restart') } })).expectData().createUser;
    const start = (await admin.execute(UserEventLogDocument, { userId: user.id })).expectData().userEventLog.edges[0]!.cursor;
    const first = subscribe(socket(a), OnUserEventsDocument, { userId: user.id, after: start });
    const viaB = new GraphQLClient(b.url, token);
    (await viaB.execute(SuspendUserDocument, { id: user.id, reason: 'one' })).expectData();
    await first.waitFor(1);
    const cursor = first.results[0]!.userEvents.sequence;

    // Kill A without warning, keep writing through B, then start A again on the same port.
    a.child.kill('SIGKILL');
    await new Promise((resolve) => a.child.once('exit', resolve));
    (await viaB.execute(SuspendUserDocument, { id: user.id, reason: 'two' })).expectData();
    (await viaB.execute(`mutation { unsuspendUser(id: "${user.id}") { id } }`)).expectData();
    (await viaB.execute(SuspendUserDocument, { id: user.id, reason: 'three' })).expectData();
    a = await startInstance('a2', false, a.port);

    const resumed = subscribe(socket(a), OnUserEventsDocument, { userId: user.id, after: cursor });
    await resumed.waitFor(3);
    (await viaB.execute(`mutation { unsuspendUser(id: "${user.id}") { id } }`)).expectData();
    await resumed.waitFor(4);
    await resumed.expectNoMore(4, 1_500);
    const log = (await viaB.execute(UserEventLogDocument, { userId: user.id, after: cursor })).expectData().userEventLog.edges;
    expect(resumed.results.map((r) => r.userEvents.sequence)).toEqual(log.map((e) => e.cursor));
    expect(resumed.results.map((r) => r.userEvents.type)).toEqual(['USER_SUSPENDED', 'USER_UNSUSPENDED', 'USER_SUSPENDED', 'USER_UNSUSPENDED']);
    resumed.stop();
  });
});


async function stopInstance(instance: Instance): Promise<void> {
  if (instance.child.exitCode !== null || instance.child.signalCode !== null) return;
  const exited = new Promise((resolve) => instance.child.once('exit', resolve));
  instance.child.kill('SIGTERM');
  const timer = setTimeout(() => instance.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
