// Whether a verified token still grants access: the account is active and the token's session is
// live. Checked on every HTTP request and every graphql-ws message, so it must not cost a database
// round trip when nothing changed: what it needs about a user (role, state, live session ids) is
// kept here per user, and dropped when any user event about that user is delivered. Events reach
// every instance through the outbox relay: at once in this process, through Redis (REDIS_URL) on
// the others, or by the relay's poll of the table without it. That delivery is what bounds how
// long a revoked token keeps working elsewhere. Entries also expire after `maxAgeMs`, a safety net
// should an event ever be lost for good.
//
// Roles come from the account, not the token: a demoted admin's next request runs as their new
// role, and a promotion applies without signing in again.
import type { Clock } from '../clock.js';
import { UnauthenticatedError } from '../errors.js';
import { userStatus } from '../users/user.columns.js';
import { isUuid } from '../users/user.validation.js';
import type { Principal } from './principal.js';
import type { AccessRow, SessionRepository } from './session.repository.js';

export interface AccessCacheOptions {
  /** Users kept at once; the oldest entry goes first. */
  maxEntries: number;
  /** How long an entry is trusted without any event. */
  maxAgeMs: number;
}

export const DEFAULT_ACCESS_CACHE: AccessCacheOptions = { maxEntries: 50_000, maxAgeMs: 60_000 };

interface Entry {
  loadedAt: number;
  row: Promise<AccessRow | null>;
  /**
   * Sessions this entry's read found not live. A session is created before its first token and
   * never comes back once ended, so a session id the entry does not know is newer than the read
   * (a login since, possibly on another instance): it is read again once, and remembered here if
   * it still is not live, so a dead token does not cost a read per request.
   */
  dead: Set<string>;
}

export class AccessCache {
  private readonly entries = new Map<string, Entry>();
  private readonly watchers = new Map<string, Set<() => void>>();
  /** Database reads made (tests and the bench read it). */
  loads = 0;

  constructor(
    private readonly repository: SessionRepository,
    private readonly clock: Clock,
    private readonly options: AccessCacheOptions = DEFAULT_ACCESS_CACHE,
  ) {}

  /**
   * The principal as it may act now: with the account's current role for our own tokens.
   * UNAUTHENTICATED when the account is gone or not active, or the token's session has ended.
   * An external identity provider's token is checked against the account only when its subject
   * is one of our users; other subjects pass with the token's roles.
   */
  async check(principal: Principal): Promise<Principal> {
    const userId = principal.userId.toLowerCase();
    if (!isUuid(userId)) {
      if (principal.external) return principal;
      throw new UnauthenticatedError('Session ended: sign in again');
    }
    let entry = this.entry(userId);
    let row = await entry.row;
    const sid = principal.sessionId;
    if (row && !principal.external && sid && !row.liveSessionIds.includes(sid) && !entry.dead.has(sid)) {
      entry = this.entry(userId, true);
      row = await entry.row;
      if (row && !row.liveSessionIds.includes(sid)) entry.dead.add(sid);
    }
    if (!row) {
      if (principal.external) return principal;
      throw new UnauthenticatedError('Session ended: sign in again');
    }
    const now = this.clock.now();
    if (userStatus(row, now) !== 'ACTIVE' || (row.lockedUntil && row.lockedUntil > now)) {
      throw new UnauthenticatedError('Session ended: the account is not active');
    }
    if (principal.external) return principal;
    if (!principal.sessionId || !row.liveSessionIds.includes(principal.sessionId))
      throw new UnauthenticatedError('Session ended: sign in again');
    return { ...principal, roles: [row.role] };
  }

  /** Forgets what is known about the user and tells their watchers (open subscriptions) to check again. */
  invalidate(userId: string): void {
    const key = userId.toLowerCase();
    this.entries.delete(key);
    for (const watcher of this.watchers.get(key) ?? []) watcher();
  }

  /** Calls `onChange` whenever the user's access may have changed; returns the unsubscribe. */
  watch(userId: string, onChange: () => void): () => void {
    const key = userId.toLowerCase();
    let set = this.watchers.get(key);
    if (!set) this.watchers.set(key, (set = new Set()));
    set.add(onChange);
    return () => {
      set.delete(onChange);
      if (set.size === 0 && this.watchers.get(key) === set) this.watchers.delete(key);
    };
  }

  private entry(userId: string, reload = false): Entry {
    const now = Date.now();
    const cached = this.entries.get(userId);
    if (!reload && cached && now - cached.loadedAt < this.options.maxAgeMs) return cached;
    this.loads += 1;
    const row = this.repository.accessRow(userId, this.clock.now());
    const entry: Entry = { loadedAt: now, row, dead: new Set() };
    this.entries.delete(userId);
    this.entries.set(userId, entry);
    // A failed read (database away) is not remembered: the next request tries again.
    row.catch(() => {
      if (this.entries.get(userId) === entry) this.entries.delete(userId);
    });
    if (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return entry;
  }
}
