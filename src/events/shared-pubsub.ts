// The pubsub for messages that are not domain events (today: import progress). One process:
// in memory. With REDIS_URL: through Redis, so a subscriber on any instance hears what the
// instance doing the work publishes. Delivery is at-most-once; import progress carries the
// whole current state each time, so a lost message is repaired by the next one.
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub } from '@graphql-yoga/subscription';
import { Redis } from 'ioredis';
import type { PubSub } from 'type-graphql';
import type { Logger } from '../logger.js';

export interface SharedPubSub {
  pubSub: PubSub;
  close(): Promise<void>;
}

export function createSharedPubSub(redisUrl: string | undefined, log: Logger): SharedPubSub {
  if (!redisUrl) return { pubSub: createPubSub(), close: () => Promise.resolve() };
  const options = { maxRetriesPerRequest: 3 };
  const publishClient = new Redis(redisUrl, { ...options, connectionName: 'users-service:pubsub-pub' });
  const subscribeClient = new Redis(redisUrl, { ...options, connectionName: 'users-service:pubsub-sub' });
  for (const client of [publishClient, subscribeClient]) {
    client.on('error', (error: Error) => log.warn({ err: error }, 'redis pubsub connection error'));
  }
  return {
    pubSub: createPubSub({ eventTarget: createRedisEventTarget({ publishClient, subscribeClient }) }),
    close: async () => {
      await Promise.all([publishClient.quit(), subscribeClient.quit()]).catch(() => undefined);
    },
  };
}
