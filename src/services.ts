// Composition root for the domain: plain constructor injection, no container.
// Library users call createServices() to use the domain without GraphQL.
import { AuthService } from './auth/auth.service.js';
import { PasswordHasher } from './auth/passwords.js';
import { TokenService } from './auth/tokens.js';
import { systemClock, type Clock } from './clock.js';
import type { Database } from './db/client.js';
import { UsersRepository } from './users/users.repository.js';
import { UsersService } from './users/users.service.js';
import { StatsRepository } from './users/stats/stats.repository.js';
import { StatsService } from './users/stats/stats.service.js';

export interface ServicesOptions {
  db: Database;
  jwt: { secret: string; issuer: string; audience: string; ttlSeconds: number; jwksUrl?: string | undefined };
  bcryptCost: number;
  clock?: Clock;
}

export interface Services {
  db: Database;
  clock: Clock;
  usersRepository: UsersRepository;
  users: UsersService;
  auth: AuthService;
  tokens: TokenService;
  hasher: PasswordHasher;
  stats: StatsService;
}

export function createServices(options: ServicesOptions): Services {
  const clock = options.clock ?? systemClock;
  const usersRepository = UsersRepository.create(options.db.prisma);
  const hasher = new PasswordHasher(options.bcryptCost);
  const tokens = new TokenService(options.jwt);
  const users = new UsersService(usersRepository, hasher, clock);
  const auth = new AuthService(usersRepository, hasher, tokens, clock);
  const stats = new StatsService(new StatsRepository(options.db.prisma), clock);
  return { db: options.db, clock, usersRepository, users, auth, tokens, hasher, stats };
}
