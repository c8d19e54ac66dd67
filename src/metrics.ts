// Prometheus metrics (prom-client), one registry per process (per app in tests). Families follow
// Prometheus naming: snake_case, a unit suffix (_seconds, _bytes), _total on counters.
// Counters are incremented where the thing happens (HTTP middleware, Apollo plugin, graphql-ws,
// import writer, export route, login); gauges that describe state (database pool, outbox lag) are
// read at scrape time from the function given to `onScrape`, so they cost nothing in between.
//
// Cardinality is bounded by construction: routes are a fixed list, operation names are capped
// (anonymous ones and everything past the cap share one label), outcomes are error codes.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Distinct GraphQL operation names kept as labels; later ones are folded into OTHER_OPERATION. */
const MAX_OPERATION_NAMES = 200;
/** The label of anonymous operations, invalid names and names past the cap. */
export const OTHER_OPERATION = '_other';
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface ScrapeState {
  /** PostgreSQL pool connections in use, and requests waiting for one (undefined on PGlite). */
  pool?: { inUse: number; waiting: number; size: number } | undefined;
  /** The newest event sequence and the one this process's relay has delivered. */
  outbox?: { newest: bigint; relayed: bigint; oldestPendingAt: Date | null } | undefined;
  /** Age of the oldest event an enabled webhook endpoint still owes (0: none). */
  webhookLagSeconds?: number | undefined;
}

export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving an HTTP request to the end of its response',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  readonly graphqlOperations = new Counter({
    name: 'graphql_operations_total',
    help: 'GraphQL operations over HTTP, by operation name, type and outcome (OK or the first error code)',
    labelNames: ['operation', 'type', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly graphqlDuration = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'GraphQL operation time, from parsing to the response',
    labelNames: ['operation', 'type', 'outcome'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  readonly usersErasedByRetention = new Counter({
    name: 'retention_users_erased_total',
    help: 'Users erased by the retention job (DELETED_USER_RETENTION_DAYS) in this process',
    registers: [this.registry],
  });
  readonly eventsPrunedByRetention = new Counter({
    name: 'retention_events_pruned_total',
    help: 'Events deleted by the retention job (USER_EVENTS_RETENTION_DAYS) in this process',
    registers: [this.registry],
  });
  readonly subscribers = new Gauge({
    name: 'graphql_ws_connections',
    help: 'Open graphql-ws (subscription) connections',
    registers: [this.registry],
  });
  readonly eventsDelivered = new Counter({
    name: 'graphql_ws_events_delivered_total',
    help: 'Subscription results sent to graphql-ws subscribers',
    registers: [this.registry],
  });
  readonly importRowsCommitted = new Counter({
    name: 'user_import_rows_committed_total',
    help: 'Users created or updated by CSV imports, counted when their chunk commits',
    registers: [this.registry],
  });
  readonly exportRowsStreamed = new Counter({
    name: 'user_export_rows_streamed_total',
    help: 'Users written to export downloads',
    registers: [this.registry],
  });
  readonly loginFailures = new Counter({
    name: 'auth_login_failures_total',
    help: 'Failed login attempts (unknown email, wrong password, inactive account)',
    registers: [this.registry],
  });
  readonly webhookAttempts = new Counter({
    name: 'webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome: delivered (2xx), http_error, timeout, network_error, refused (SSRF guard)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly webhooksDisabled = new Counter({
    name: 'webhook_endpoints_disabled_total',
    help: 'Webhook endpoints disabled by this process after WEBHOOK_MAX_FAILURES failures or WEBHOOK_RETRY_FOR',
    registers: [this.registry],
  });
  private readonly operationNames = new Set<string>();
  private scrape: () => Promise<ScrapeState> = () => Promise.resolve({});

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const state = () => this.scrape();
    new Gauge({
      name: 'db_pool_connections_in_use',
      help: 'PostgreSQL pool connections checked out (the embedded database has no pool)',
      registers: [this.registry],
      async collect() {
        const pool = (await state()).pool;
        if (pool) this.set(pool.inUse);
      },
    });
    new Gauge({
      name: 'db_pool_waiting_requests',
      help: 'Queries waiting for a free PostgreSQL pool connection',
      registers: [this.registry],
      async collect() {
        const pool = (await state()).pool;
        if (pool) this.set(pool.waiting);
      },
    });
    new Gauge({
      name: 'outbox_lag_events',
      help: 'Newest user_events sequence minus the one this process has relayed to subscribers',
      registers: [this.registry],
      async collect() {
        const outbox = (await state()).outbox;
        if (outbox) this.set(Number(outbox.newest > outbox.relayed ? outbox.newest - outbox.relayed : 0n));
      },
    });
    new Gauge({
      name: 'outbox_lag_seconds',
      help: 'Age of the oldest event this process has not relayed yet (0 when caught up)',
      registers: [this.registry],
      async collect() {
        const outbox = (await state()).outbox;
        if (outbox) this.set(outbox.oldestPendingAt ? Math.max(0, (Date.now() - outbox.oldestPendingAt.getTime()) / 1000) : 0);
      },
    });
    new Gauge({
      name: 'webhook_lag_seconds',
      help: 'Age of the oldest event an enabled webhook endpoint has not received yet (0 when every endpoint is caught up)',
      registers: [this.registry],
      async collect() {
        const lag = (await state()).webhookLagSeconds;
        if (lag !== undefined) this.set(lag);
      },
    });
  }

  /** Where the scrape-time gauges read their state (one call per scrape, shared by them all). */
  onScrape(read: () => Promise<ScrapeState>): void {
    let pending: Promise<ScrapeState> | undefined;
    this.scrape = () => {
      pending ??= read().finally(() => setImmediate(() => (pending = undefined)));
      return pending;
    };
  }

  /** The operation label: the name while fewer than MAX_OPERATION_NAMES were seen, else OTHER_OPERATION. */
  operationLabel(name: string | null | undefined): string {
    if (!name || !OPERATION_NAME.test(name)) return OTHER_OPERATION;
    if (this.operationNames.has(name)) return name;
    if (this.operationNames.size >= MAX_OPERATION_NAMES) return OTHER_OPERATION;
    this.operationNames.add(name);
    return name;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
