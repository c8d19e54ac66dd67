// Login throttling, with rate-limiter-flexible's counters so every instance shares them: in Redis
// with REDIS_URL, otherwise in the database (login_throttles), never in one process's memory.
//
// Per email (whether or not an account has it, so a locked email says nothing about which accounts
// exist): LOGIN_MAX_FAILURES consecutive failures lock it; further attempts are refused with
// TOO_MANY_REQUESTS and retryAfter, without looking at the password. The lock lasts
// LOGIN_LOCKOUT_BASE after the last allowed failure and doubles with each failure after it (the
// first attempt after a lock that fails again), up to LOGIN_LOCKOUT_MAX. A success clears the
// count. Failures older than a day are forgotten.
// Per client IP: at most LOGIN_IP_MAX_FAILURES failures per LOGIN_IP_WINDOW, whatever the emails.
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterPrisma, RateLimiterRedis, type RateLimiterAbstract, type RateLimiterRes } from 'rate-limiter-flexible';
import type { PrismaClient } from '../generated/prisma/client.js';
import { DEFAULT_LOGIN_THROTTLE, type LoginThrottleOptions } from '../config.js';
import { ServiceUnavailableError, TooManyRequestsError } from '../errors.js';


/** Where the counters live. `memory` is for tests of one process only. */
export type ThrottleStore = { kind: 'redis'; client: Redis } | { kind: 'database'; client: PrismaClient } | { kind: 'memory' };

const FAILURE_MEMORY_SECONDS = 86_400;

export interface ThrottleState {
  /** Consecutive failures so far for this email. */
  failures: number;
}

export class LoginThrottle {
  private readonly failures: RateLimiterAbstract;
  private readonly locks: RateLimiterAbstract;
  private readonly ips: RateLimiterAbstract;

  constructor(
    store: ThrottleStore,
    readonly options: LoginThrottleOptions = DEFAULT_LOGIN_THROTTLE,
  ) {
    const make = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract => {
      const common = { keyPrefix, points, duration };
      switch (store.kind) {
        case 'redis':
          return new RateLimiterRedis({ ...common, storeClient: store.client, rejectIfRedisNotReady: true });
        case 'database':
          return new RateLimiterPrisma({ ...common, storeClient: store.client, tableName: 'loginThrottle', clearExpiredByTimeout: false });
        case 'memory':
          return new RateLimiterMemory(common);
      }
    };
    this.failures = make('login-failures', Number.MAX_SAFE_INTEGER, FAILURE_MEMORY_SECONDS);
    this.locks = make('login-lock', 1, options.lockoutMaxSeconds);
    this.ips = make('login-ip', options.ipMaxFailures, options.ipWindowSeconds);
  }

  /** Before the password is looked at: TOO_MANY_REQUESTS when the email is locked or the IP over its ceiling. */
  async check(email: string, ip: string | null): Promise<ThrottleState> {
    const [lock, failures, fromIp] = await store(() =>
      Promise.all([this.locks.get(email), this.failures.get(email), ip ? this.ips.get(ip) : Promise.resolve(null)]),
    );
    if (lock && lock.consumedPoints > 1 && lock.msBeforeNext > 0) throw new TooManyRequestsError(seconds(lock), `Too many failed attempts; retry in ${seconds(lock)} seconds`);
    if (fromIp && fromIp.consumedPoints >= this.options.ipMaxFailures && fromIp.msBeforeNext > 0) {
      throw new TooManyRequestsError(seconds(fromIp), `Too many failed logins from this address; retry in ${seconds(fromIp)} seconds`, 'address');
    }
    return { failures: failures?.consumedPoints ?? 0 };
  }

  /** Counts a failure; returns when the email is now locked until, if this failure locked it. */
  async failed(email: string, ip: string | null): Promise<Date | undefined> {
    const [failures] = await store(() => Promise.all([this.failures.penalty(email, 1), ip ? this.ips.penalty(ip, 1) : Promise.resolve(null)]));
    const beyond = failures.consumedPoints - this.options.maxFailures;
    if (beyond < 0) return undefined;
    const wait = Math.min(this.options.lockoutMaxSeconds, this.options.lockoutBaseSeconds * 2 ** Math.min(beyond, 30));
    await store(() => this.locks.block(email, wait));
    return new Date(Date.now() + wait * 1000);
  }

  /** A success, or an admin's unlock: the email starts again from no failures. */
  async clear(email: string): Promise<void> {
    await store(() => Promise.all([this.failures.delete(email), this.locks.delete(email)]));
  }
}

function seconds(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}

/** A counter store that cannot be reached is an outage (retryable), not a client's mistake. */
async function store<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TooManyRequestsError) throw error;
    throw new ServiceUnavailableError();
  }
}
