// Two server processes (node dist/src/main.js) on one PostgreSQL database deliver one webhook
// endpoint: each event arrives once, in order, not once per instance (the lease); and when the
// instance delivering is killed with SIGKILL mid-request, the other takes the endpoint over once
// the lease (WEBHOOK_LEASE=2s here) has run out and sends the unfinished event again, then the
// rest, in order. PostgreSQL only (PGlite is one process). No Redis: the other instance hears of
// events through the relay's 1 s poll of the table.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_EMAIL, ADMIN_PASSWORD, databaseUrl } from '../testkit/app.js';
import { GraphQLClient } from '../testkit/graphql.js';
import { createUser } from '../testkit/seed.js';
import { WebhookReceiver } from '../testkit/webhook-receiver.js';
import { freePort } from '../../devkit/free-port.js';

const JWT_SECRET = 'webhook-multi-instance-secret-0123456789-01';

interface Instance {
  name: string;
  child: ChildProcess;
  output: string[];
  url: string;
}

describe.runIf(databaseUrl())('webhooks with two instances', () => {
  const database = `users_whmi_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  let dbUrl: string;
  const instances: Instance[] = [];
  const receivers: WebhookReceiver[] = [];
  let a: Instance;
  let b: Instance;
  let onA: GraphQLClient;
  let onB: GraphQLClient;
  let sql: pg.Client;

  beforeAll(async () => {
    spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { encoding: 'utf8' });
    if (!existsSync('dist/src/main.js')) throw new Error('build failed: dist/src/main.js is missing');
    const server = new URL(databaseUrl()!);
    const admin = new pg.Client({ connectionString: server.toString() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    server.pathname = `/${database}`;
    dbUrl = server.toString();
    a = await startInstance('a', true);
    b = await startInstance('b', false);
    const token = (await new GraphQLClient(a.url).login(ADMIN_EMAIL, ADMIN_PASSWORD)).accessToken;
    onA = new GraphQLClient(a.url, token);
    onB = new GraphQLClient(b.url, token);
    sql = new pg.Client({ connectionString: dbUrl });
    await sql.connect();
  }, 120_000);

  afterAll(async () => {
    await sql?.end();
    await Promise.all(instances.map((i) => stopInstance(i)));
    await Promise.all(receivers.map((r) => r.stop()));
    const admin = new pg.Client({ connectionString: databaseUrl() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }, 60_000);

  async function startInstance(name: string, migrate: boolean): Promise<Instance> {
    const port = await freePort();
    const output: string[] = [];
    const child = spawn(process.execPath, ['dist/src/main.js'], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        DATABASE_URL: dbUrl,
        JWT_SECRET,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        BCRYPT_COST: '4',
        MIGRATE_ON_START: migrate ? 'true' : 'false',
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
        RATE_LIMIT_POINTS: '0',
        RATE_LIMIT_IP_POINTS: '0',
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_LEASE: '2s',
        WEBHOOK_RETRY_BASE: '50ms',
        WEBHOOK_RETRY_MAX: '200ms',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
    const instance = { name, child, output, url: `http://127.0.0.1:${port}/graphql` };
    instances.push(instance);
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`instance ${name} exited: ${output.join('')}`);
      if (
        await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return instance;
      if (Date.now() > deadline) throw new Error(`instance ${name} not ready: ${output.join('')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function register(url: string): Promise<{ id: string; secret: string }> {
    const created = (
      await onA.execute<{ createWebhook: { secret: string; webhook: { id: string } } }>(
        'mutation($url: String!) { createWebhook(url: $url, eventTypes: ["USER_CREATED"]) { secret webhook { id } } }',
        { url },
      )
    ).expectData().createWebhook;
    return { id: created.webhook.id, secret: created.secret };
  }

  async function receiver(): Promise<WebhookReceiver> {
    const r = new WebhookReceiver();
    await r.start();
    receivers.push(r);
    return r;
  }

  it('sends each event once and in order, whichever instance recorded it', async () => {
    const r = await receiver();
    const { secret } = await register(r.url);
    const emails: string[] = [];
    for (let i = 0; i < 12; i++) emails.push((await createUser(i % 2 === 0 ? onA : onB)).email);
    await r.until(() => r.delivered(secret).length >= emails.length, 20_000);
    // Longer than a lease and a relay poll: a second sender would have shown by now.
    await new Promise((res) => setTimeout(res, 3_000));
    expect(r.received.map((x) => x.json.email)).toEqual(emails);
    expect(r.delivered(secret)).toHaveLength(emails.length);
  }, 60_000);

  it('another instance finishes the delivery of one killed with SIGKILL mid-request', async () => {
    const r = await receiver();
    let release: () => void = () => undefined;
    const held = new Promise<number>((resolve) => (release = () => resolve(200)));
    // The first request is never answered by us while its sender lives.
    r.respond = (n) => (n === 0 ? held : 200);
    const { id, secret } = await register(r.url);
    const emails: string[] = [];
    for (let i = 0; i < 3; i++) emails.push((await createUser(onA)).email);
    await r.until(() => r.received.length >= 1, 10_000, 'the first request');

    const { rows } = await sql.query<{ lease_owner: string | null }>('SELECT lease_owner FROM webhooks WHERE id = $1', [id]);
    const pid = Number(rows[0]?.lease_owner?.split(':')[1]);
    const holder = instances.find((i) => i.child.pid === pid);
    expect(holder, `lease owner ${rows[0]?.lease_owner} is one of the instances`).toBeDefined();
    const survivor = holder === a ? b : a;
    holder!.child.kill('SIGKILL');
    await new Promise((res) => holder!.child.once('exit', res));
    // The receiver learns of the dead sender's connection a moment after the exit; answering
    // before that would count the held request as delivered (a race CI hit on PostgreSQL).
    await r.until(() => r.received[0]!.gone, 5_000, 'the receiver to see the killed sender go');
    release();

    await r.until(() => r.delivered(secret).length >= 3, 20_000, 'the survivor to deliver');
    // The unfinished event again (same webhook-id), then the rest, in order; nothing lost.
    expect(r.delivered(secret).map((x) => x.json.email)).toEqual(emails);
    expect(r.received[1]!.headers['webhook-id']).toBe(r.received[0]!.headers['webhook-id']);
    const after = await sql.query<{ lease_owner: string | null }>('SELECT lease_owner FROM webhooks WHERE id = $1', [id]);
    expect(after.rows[0]?.lease_owner ?? '').not.toContain(`:${pid}:`);
    expect(survivor.child.exitCode).toBeNull();
  }, 60_000);
});

async function stopInstance(instance: Instance): Promise<void> {
  if (instance.child.exitCode !== null || instance.child.signalCode !== null) return;
  const exited = new Promise((resolve) => instance.child.once('exit', resolve));
  instance.child.kill('SIGTERM');
  const timer = setTimeout(() => instance.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
