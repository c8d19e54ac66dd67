// In-process delivery: the relay hands every event to dispatch(), once, in sequence order; the
// bus passes it to open subscriber streams and to `onUserEvent` handlers of this process.
// Notices (see event.transport.ts) go to their own listeners, never to event streams or handlers.
import { EventEmitter, on } from 'node:events';
import type { Logger } from '../logger.js';
import { EventStream } from './event.stream.js';
import type { Notice, NoticeTopic } from './event.transport.js';
import type { UserEvent, UserEventOf, UserEventType } from './user-event.model.js';

export type UserEventHandler<K extends UserEventType = UserEventType> = (event: UserEventOf<K>) => void | Promise<void>;

export interface StreamFilter {
  types?: readonly UserEventType[] | undefined;
  userId?: string | undefined;
}

export const DEFAULT_MAX_BACKLOG = 10_000;

export class LocalEventBus {
  private readonly streams = new Set<EventStream>();
  private readonly handlers = new Map<UserEventType | '*', Set<UserEventHandler>>();
  // One emitter event per topic and key. No listener limit: any number may follow one import.
  private readonly noticeListeners = new EventEmitter().setMaxListeners(0);

  constructor(
    private readonly log: Logger,
    private readonly maxBacklog = DEFAULT_MAX_BACKLOG,
  ) {}

  /**
   * Calls `handler` for every event of `type` ('*' for all) delivered in this process, in
   * sequence order. Handlers are not awaited (a slow one must not hold up subscribers); a
   * throwing or rejecting handler is logged. Returns a function that removes the handler.
   */
  on<K extends UserEventType>(type: K | '*', handler: UserEventHandler<K>): () => void {
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    const h = handler as unknown as UserEventHandler;
    set.add(h);
    return () => set.delete(h);
  }

  /** A live stream of matching events, starting now. */
  open(filter: StreamFilter): EventStream {
    const types = filter.types?.length ? new Set(filter.types) : undefined;
    const stream: EventStream = new EventStream({
      matches: (e) => (!types || types.has(e.type)) && (!filter.userId || e.userId === filter.userId),
      maxBacklog: this.maxBacklog,
      onClose: () => this.streams.delete(stream),
      // A failed replay reaches the subscriber as its last item and is logged where it is sent.
    });
    this.streams.add(stream);
    return stream;
  }

  get subscriberCount(): number {
    return this.streams.size;
  }

  dispatch(event: UserEvent): void {
    for (const stream of this.streams) stream.offer(event);
    for (const key of [event.type, '*'] as const) {
      for (const handler of this.handlers.get(key) ?? []) this.callHandler(handler, event);
    }
  }

  /** Hands a notice to this process's listeners of its topic and key. */
  notice(notice: Notice): void {
    this.noticeListeners.emit(noticeChannel(notice.topic, notice.key), notice.body);
  }

  /**
   * Notices of `topic` about `key` delivered in this process from now on (listening starts with
   * this call), decoded by the topic. `return()` stops listening at once, even with a `next()`
   * pending. A notice the topic cannot decode is logged and skipped: the next one repairs it.
   */
  notices<T>(topic: NoticeTopic<T>, key: string): AsyncIterableIterator<T> {
    // Node's events.on: an async iterator that ends pending next() calls on return().
    const bodies = on(this.noticeListeners, noticeChannel(topic.name, key)) as AsyncIterableIterator<[Record<string, unknown>]>;
    const decode = async (step: IteratorResult<[Record<string, unknown>]>): Promise<IteratorResult<T>> => {
      for (;;) {
        if (step.done) return { value: undefined, done: true };
        try {
          return { value: topic.fromJson(step.value[0]), done: false };
        } catch (error) {
          this.log.warn({ err: error, topic: topic.name, key }, 'skipped an unreadable notice');
          step = await bodies.next();
        }
      }
    };
    const iterator: AsyncIterableIterator<T> = {
      next: () => bodies.next().then(decode),
      return: async () => {
        await bodies.return?.();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  private callHandler(handler: UserEventHandler, event: UserEvent): void {
    const fail = (error: unknown) => this.log.error({ err: error, type: event.type, sequence: event.sequence.toString() }, 'user event handler failed');
    try {
      const result = handler(event);
      if (result instanceof Promise) result.catch(fail);
    } catch (error) {
      fail(error);
    }
  }
}

function noticeChannel(topic: string, key: string): string {
  return `${topic}\u0000${key}`;
}
