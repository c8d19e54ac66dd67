// How committed events travel between server instances. Without REDIS_URL there is one
// process and nothing travels. With it, the instance that committed publishes the events on a
// Redis channel and every instance (itself included) receives them. Redis pub/sub is
// at-most-once; the relay makes delivery exactly-once by checking each event's sequence against
// what it delivered and filling any gap from the user_events table (see relay.ts).
import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { fromWire, toWire, type UserEvent, type WireUserEvent } from './user-event.model.js';

export interface EventTransport {
  /** Starts receiving; resolves once subscribed. `streamId` names the database's event stream. */
  start(streamId: string, onEvents: (events: UserEvent[]) => void): Promise<void>;
  publish(events: readonly UserEvent[]): Promise<void>;
  stop(): Promise<void>;
}

/** One process: the relay delivers its own commits directly. */
export class InProcessTransport implements EventTransport {
  start(): Promise<void> {
    return Promise.resolve();
  }
  publish(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

// Bounds one Redis message; a bulk action's 1,001 events go as a few messages.
const EVENTS_PER_MESSAGE = 250;

export class RedisTransport implements EventTransport {
  private publisher: Redis | undefined;
  private subscriber: Redis | undefined;
  private channel = '';

  constructor(
    private readonly url: string,
    private readonly log: Logger,
  ) {}

  /** The channel for a database's stream; two databases sharing one Redis never mix events. */
  static channelFor(streamId: string): string {
    return `users-service:user-events:${streamId}`;
  }

  async start(streamId: string, onEvents: (events: UserEvent[]) => void): Promise<void> {
    this.channel = RedisTransport.channelFor(streamId);
    const options = { lazyConnect: true, maxRetriesPerRequest: 3 };
    this.publisher = new Redis(this.url, { ...options, connectionName: 'users-service:pub' });
    this.subscriber = new Redis(this.url, { ...options, connectionName: 'users-service:sub' });
    for (const client of [this.publisher, this.subscriber]) {
      client.on('error', (error: Error) => this.log.warn({ err: error }, 'redis connection error'));
    }
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      try {
        onEvents((JSON.parse(message) as WireUserEvent[]).map(fromWire));
      } catch (error) {
        this.log.error({ err: error }, 'unreadable event message on redis');
      }
    });
    await Promise.all([this.publisher.connect(), this.subscriber.connect()]);
    await this.subscriber.subscribe(this.channel);
    this.log.info({ channel: this.channel }, 'relaying user events through redis');
  }

  async publish(events: readonly UserEvent[]): Promise<void> {
    if (!this.publisher) return;
    for (let i = 0; i < events.length; i += EVENTS_PER_MESSAGE) {
      await this.publisher.publish(this.channel, JSON.stringify(events.slice(i, i + EVENTS_PER_MESSAGE).map(toWire)));
    }
  }

  async stop(): Promise<void> {
    const clients = [this.subscriber, this.publisher].filter((c): c is Redis => c !== undefined);
    this.subscriber = this.publisher = undefined;
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
