// How committed events travel between server instances. Without REDIS_URL there is one
// process and nothing travels. With it, the instance that committed publishes the events on a
// Redis channel and every instance (itself included) receives them. Redis pub/sub is
// at-most-once; the relay makes delivery exactly-once by checking each event's sequence against
// what it delivered and filling any gap from the user_events table (see outbox.relay.ts).
//
// Two kinds of message travel, on two channels, and they are kept apart on purpose:
//   - events: committed rows of user_events, the audit log. Sequenced; they go to the relay.
//   - notices: the current state of work in progress (an import's counters after each chunk),
//     for live subscribers only. Never stored, not sequenced, never in userEventLog or
//     onUserEvent; at most once, which is enough because each notice carries the whole state:
//     a lost one is repaired by the next. An instance delivers its own notices in process at
//     once (see OutboxRelay.notify), so it skips them when Redis echoes them back.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import { fromWire, toWire, type UserEvent, type WireUserEvent } from './user-event.model.js';

/** A notice as it travels: JSON only (the topic's codec turns it back into its value). */
export interface Notice {
  /** What it is about, e.g. 'import-progress'. */
  topic: string;
  /** Which one, e.g. the import's id: subscribers listen to one topic and key. */
  key: string;
  body: Record<string, unknown>;
}

/** A kind of notice and its JSON codec; `fromJson` checks what arrives, and throws on garbage. */
export interface NoticeTopic<T> {
  readonly name: string;
  toJson(value: T): Record<string, unknown>;
  fromJson(json: Record<string, unknown>): T;
}

export interface TransportReceiver {
  /** Committed events, from any instance (this one included). */
  events(events: UserEvent[]): void;
  /** A notice from another instance. */
  notice(notice: Notice): void;
}

export interface EventTransport {
  /** Starts receiving; resolves once subscribed. `streamId` names the database's event stream. */
  start(streamId: string, receiver: TransportReceiver): Promise<void>;
  publish(events: readonly UserEvent[]): Promise<void>;
  /** Sends a notice to the other instances (this one delivers its own in process). */
  notify(notice: Notice): Promise<void>;
  stop(): Promise<void>;
}

/** One process: the relay delivers its own commits and notices directly. */
export class InProcessTransport implements EventTransport {
  start(): Promise<void> {
    return Promise.resolve();
  }
  publish(): Promise<void> {
    return Promise.resolve();
  }
  notify(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

// Bounds one Redis message; a bulk action's 1,001 events go as a few messages.
const EVENTS_PER_MESSAGE = 250;

/** A notice on Redis, with `origin`, the sending transport: an instance skips its own. */
const WIRE_NOTICE = z.object({ origin: z.string(), topic: z.string(), key: z.string(), body: z.record(z.string(), z.unknown()) });
type WireNotice = z.infer<typeof WIRE_NOTICE>;

export class RedisTransport implements EventTransport {
  private publisher: Redis | undefined;
  private subscriber: Redis | undefined;
  private eventsChannel = '';
  private noticesChannel = '';
  private readonly origin = randomUUID();

  constructor(
    private readonly url: string,
    private readonly log: Logger,
  ) {}

  /** The channel for a database's stream; two databases sharing one Redis never mix events. */
  static channelFor(streamId: string): string {
    return `users-service:user-events:${streamId}`;
  }

  /** The notices channel of a database's stream (not matched by `users-service:user-events:*`). */
  static noticesChannelFor(streamId: string): string {
    return `users-service:notices:${streamId}`;
  }

  async start(streamId: string, receiver: TransportReceiver): Promise<void> {
    this.eventsChannel = RedisTransport.channelFor(streamId);
    this.noticesChannel = RedisTransport.noticesChannelFor(streamId);
    const options = { lazyConnect: true, maxRetriesPerRequest: 3 };
    this.publisher = new Redis(this.url, { ...options, connectionName: 'users-service:pub' });
    this.subscriber = new Redis(this.url, { ...options, connectionName: 'users-service:sub' });
    for (const client of [this.publisher, this.subscriber]) {
      client.on('error', (error: Error) => this.log.warn({ err: error }, 'redis connection error'));
    }
    this.subscriber.on('message', (channel: string, message: string) => {
      try {
        if (channel === this.eventsChannel) receiver.events((JSON.parse(message) as WireUserEvent[]).map(fromWire));
        else if (channel === this.noticesChannel) {
          const notice = WIRE_NOTICE.parse(JSON.parse(message));
          if (notice.origin !== this.origin) receiver.notice({ topic: notice.topic, key: notice.key, body: notice.body });
        }
      } catch (error) {
        this.log.error({ err: error, channel }, 'unreadable message on redis');
      }
    });
    await Promise.all([this.publisher.connect(), this.subscriber.connect()]);
    await this.subscriber.subscribe(this.eventsChannel, this.noticesChannel);
    this.log.info({ channel: this.eventsChannel }, 'relaying user events through redis');
  }

  async publish(events: readonly UserEvent[]): Promise<void> {
    if (!this.publisher) return;
    for (let i = 0; i < events.length; i += EVENTS_PER_MESSAGE) {
      await this.publisher.publish(this.eventsChannel, JSON.stringify(events.slice(i, i + EVENTS_PER_MESSAGE).map(toWire)));
    }
  }

  async notify(notice: Notice): Promise<void> {
    if (!this.publisher) return;
    const wire: WireNotice = { ...notice, origin: this.origin };
    await this.publisher.publish(this.noticesChannel, JSON.stringify(wire));
  }

  async stop(): Promise<void> {
    const clients = [this.subscriber, this.publisher].filter((c): c is Redis => c !== undefined);
    this.subscriber = this.publisher = undefined;
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
