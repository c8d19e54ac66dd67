// One subscriber's stream of events: an AsyncIterator that graphql-ws (or library code) pulls.
//
// Why not @graphql-yoga/subscription's pubsub: its Repeater throws once 1,024 values are pending,
// inside an EventTarget listener, which Node reports as an uncaught exception; one bulk action
// emits 1,001 events in one go. Here the backlog is explicit: past `maxBacklog` undelivered
// events the stream yields a SubscriberTooSlowError as its last value (resolvers throw it, so the
// client gets a GraphQL error naming the sequence to resume after) and ends. The client resumes
// with `userEvents(after: ...)`: it loses nothing, and the server's memory stays bounded.
// Yielding the error rather than rejecting next() matters: graphql-ws answers a rejected
// iterator by closing the whole socket, taking the client's other subscriptions with it.
//
// With `replay`, stored events after a cursor are yielded first, then live ones. The live
// listener is attached before the replay starts reading and every event is checked against the
// last sequence yielded, so there is no gap and no duplicate at the seam.
import { DomainError } from '../errors.js';
import type { UserEvent } from './user-event.model.js';

export class SubscriberTooSlowError extends DomainError {
  readonly code = 'SUBSCRIBER_TOO_SLOW';
  readonly status = 503;
  constructor(readonly lastSequence: bigint) {
    super(`Subscriber fell too far behind; resubscribe to userEvents with after: "${lastSequence}"`);
    this.details.resumeAfter = lastSequence.toString();
  }
}

/** What a stream yields: events, and at most one final error (too slow, or the replay failed). */
export type StreamItem = UserEvent | Error;

export interface EventStreamOptions {
  matches: (event: UserEvent) => boolean;
  maxBacklog: number;
  onClose: () => void;
  onError?: (error: unknown) => void;
}

const REPLAY_PAGE = 500;

export class EventStream implements AsyncIterableIterator<StreamItem> {
  private readonly queue: UserEvent[] = [];
  /** Live events that arrive while the replay runs; undefined when not replaying. */
  private held: UserEvent[] | undefined;
  private lastQueued = -1n;
  private waiter: ((r: IteratorResult<StreamItem>) => void) | undefined;
  private roomWaiter: (() => void) | undefined;
  private closed = false;
  private failure: Error | undefined;

  constructor(private readonly options: EventStreamOptions) {}

  /** The bus calls this for every delivered event, in sequence order. */
  offer(event: UserEvent): void {
    if (this.closed || !this.options.matches(event)) return;
    if (this.held) {
      this.held.push(event);
      if (this.held.length > this.options.maxBacklog) this.fail(new SubscriberTooSlowError(this.lastDelivered()));
      return;
    }
    this.enqueue(event);
  }

  /**
   * Yields stored events after `after` (read page by page, only as fast as the consumer pulls),
   * then the live events held meanwhile. Call right after the stream is attached to the bus.
   */
  replay(fetchPage: (after: bigint, limit: number) => Promise<UserEvent[]>, after: bigint): void {
    this.held = [];
    this.lastQueued = after;
    const run = async (): Promise<void> => {
      for (;;) {
        await this.room();
        if (this.closed) return;
        const page = await fetchPage(this.lastQueued, REPLAY_PAGE);
        for (const event of page) if (this.options.matches(event)) this.enqueue(event);
        if (page.length < REPLAY_PAGE) break;
      }
      const held = this.held ?? [];
      this.held = undefined;
      for (const event of held) this.enqueue(event);
    };
    run().catch((error: unknown) => {
      // A failed read of the log (the database away, say) ends the stream with that error as its
      // last item, so the client is told (SERVICE_UNAVAILABLE for an outage) instead of seeing the
      // subscription complete; it resubscribes from its cursor.
      this.options.onError?.(error);
      this.fail(error instanceof Error ? error : new Error(String(error)));
    });
  }

  next(): Promise<IteratorResult<StreamItem>> {
    const event = this.queue.shift();
    if (event) {
      if (this.queue.length < REPLAY_PAGE) this.wakeReplay();
      return Promise.resolve({ value: event, done: false });
    }
    if (this.failure) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.resolve({ value: failure, done: false });
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    this.wakeReplay();
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  return(): Promise<IteratorResult<StreamItem>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<StreamItem>> {
    this.close();
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private enqueue(event: UserEvent): void {
    if (this.closed || event.sequence <= this.lastQueued) return;
    this.lastQueued = event.sequence;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter({ value: event, done: false });
      return;
    }
    this.queue.push(event);
    if (this.queue.length > this.options.maxBacklog) this.fail(new SubscriberTooSlowError(this.lastDelivered()));
  }

  private lastDelivered(): bigint {
    const first = this.queue[0];
    return first ? first.sequence - 1n : this.lastQueued;
  }

  private room(): Promise<void> {
    if (this.closed || this.queue.length < REPLAY_PAGE) return Promise.resolve();
    return new Promise((resolve) => {
      this.roomWaiter = resolve;
    });
  }

  private wakeReplay(): void {
    const wake = this.roomWaiter;
    this.roomWaiter = undefined;
    wake?.();
  }

  private fail(error: Error): void {
    if (this.closed) return;
    // Queued events are dropped: the error names the last sequence delivered, to resume after.
    this.queue.length = 0;
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) waiter({ value: error, done: false });
    else this.failure = error;
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.held = undefined;
    this.wakeReplay();
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.({ value: undefined, done: true });
    this.options.onClose();
  }
}
