// The events feature as the rest of the code (and library users) see it: record events inside a
// transaction, report the commit, read the log, stream events, and listen with onUserEvent.
import { assertCan } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';
import type { Clock } from '../clock.js';
import { BadUserInputError } from '../errors.js';
import { assertUuid } from '../users/user.validation.js';
import type { LocalEventBus, UserEventHandler } from './event.bus.js';
import type { EventStream } from './event.stream.js';
import type { OutboxRelay } from './outbox.relay.js';
import type { NoticeTopic } from './event.transport.js';
import { parseSequence, USER_EVENT_TYPES, type NewUserEvent, type UserEvent, type UserEventType } from './user-event.model.js';
import type { EventRecorder, Tx } from './user-event.repository.js';

export const DEFAULT_LOG_PAGE = 50;
export const MAX_LOG_PAGE = 500;

export interface EventLogArgs {
  userId?: string | null;
  types?: UserEventType[] | null;
  first?: number | null;
  after?: string | null;
}

export interface EventLogPage {
  events: UserEvent[];
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface StreamArgs {
  types?: UserEventType[] | null;
  userId?: string | null;
  /** Replay stored events after this cursor (a sequence), then continue live. */
  after?: string | null;
}

/** See EventsService.beforeRecord. */
export type RecordHook = (tx: Tx, events: readonly NewUserEvent[]) => Promise<NewUserEvent[]>;

export class EventsService {
  private readonly hooks: RecordHook[] = [];

  constructor(
    private readonly recorder: EventRecorder,
    private readonly bus: LocalEventBus,
    private readonly relay: OutboxRelay,
    private readonly clock: Clock,
  ) {}

  /**
   * Appends events inside the caller's transaction (call it last in the transaction). After the
   * commit, pass the result to committed(). Usable from any Prisma interactive transaction, e.g.
   * `prisma.$transaction(async (tx) => { ...; return events.record(tx, {...}) })`.
   */
  async record(tx: Tx, events: NewUserEvent | readonly NewUserEvent[]): Promise<UserEvent[]> {
    let list: readonly NewUserEvent[] = Array.isArray(events) ? events : [events as NewUserEvent];
    // Hooks run before the outbox lock is taken, so it stays held only from insert to commit.
    for (const hook of this.hooks) list = [...list, ...(await hook(tx, list))];
    return this.recorder.record(tx, list, this.clock.now());
  }

  /**
   * Runs `hook` in every transaction that records events, before they are written; the events it
   * returns are recorded with them. Sessions use it to end with the account (session.service.ts).
   */
  beforeRecord(hook: RecordHook): void {
    this.hooks.push(hook);
  }

  /** Reports a commit so subscribers get its events now rather than at the next poll. */
  committed(events: readonly UserEvent[]): void {
    this.relay.committed(events);
  }

  /** See LocalEventBus.on: runs in this process for every delivered event of `type` ('*': all). */
  onUserEvent<K extends UserEventType>(type: K | '*', handler: UserEventHandler<K>): () => void {
    return this.bus.on(type, handler);
  }

  /**
   * Tells live listeners of `topic` and `key`, in this process and on every instance, about
   * `value` (import progress). Not an event: never stored, never in the log, at most once.
   */
  notify<T>(topic: NoticeTopic<T>, key: string, value: T): void {
    this.relay.notify({ topic: topic.name, key, body: topic.toJson(value) });
  }

  /** Notices of `topic` about `key` from every instance, from now on; `return()` stops listening. */
  notices<T>(topic: NoticeTopic<T>, key: string): AsyncIterableIterator<T> {
    return this.bus.notices(topic, key);
  }

  /** Open subscriber streams in this process. */
  get subscriberCount(): number {
    return this.bus.subscriberCount;
  }

  /** The highest sequence delivered in this process. */
  get position(): bigint {
    return this.relay.position;
  }

  start(): Promise<void> {
    return this.relay.start();
  }

  stop(): Promise<void> {
    return this.relay.stop();
  }

  async log(principal: Principal, args: EventLogArgs): Promise<EventLogPage> {
    assertCan(principal, 'events.read');
    const first = args.first ?? DEFAULT_LOG_PAGE;
    if (!Number.isInteger(first) || first < 1 || first > MAX_LOG_PAGE) {
      throw BadUserInputError.field('first', `must be between 1 and ${MAX_LOG_PAGE}`);
    }
    const filter = normalizeFilter(args);
    const rows = await this.recorder.find({ ...filter, after: parseCursor(args.after, 'after'), limit: first + 1 });
    const events = rows.slice(0, first);
    const last = events[events.length - 1];
    return { events, hasNextPage: rows.length > first, endCursor: last ? last.sequence.toString() : null };
  }

  /** Live events (and, with `after`, the stored ones after it first) for one subscriber. */
  stream(principal: Principal, args: StreamArgs): EventStream {
    assertCan(principal, 'events.read');
    const filter = normalizeFilter(args);
    const after = parseCursor(args.after, 'after');
    const stream = this.bus.open(filter);
    if (after !== undefined) {
      stream.replay((from, limit) => this.recorder.find({ ...filter, after: from, limit }), after);
    }
    return stream;
  }
}

function normalizeFilter(args: { userId?: string | null; types?: UserEventType[] | null }): { userId?: string; types?: UserEventType[] } {
  const out: { userId?: string; types?: UserEventType[] } = {};
  if (args.userId != null) out.userId = assertUuid(args.userId, 'userId');
  if (args.types != null && args.types.length > 0) {
    const bad = args.types.findIndex((t) => !USER_EVENT_TYPES.includes(t));
    if (bad >= 0) throw BadUserInputError.field(`types.${bad}`, 'is not an event type');
    out.types = [...new Set(args.types)];
  }
  return out;
}

function parseCursor(cursor: string | null | undefined, field: string): bigint | undefined {
  if (cursor == null) return undefined;
  const sequence = parseSequence(cursor);
  if (sequence === undefined) throw BadUserInputError.field(field, 'is not an event cursor (the sequence of an event)');
  return sequence;
}
