// The only place that talks to Prisma about users. Returns domain records (never passwordHash,
// except from findCredentials) and throws domain errors for constraint violations.
import { Prisma, type PrismaClient } from '../generated/prisma/client.js';
import type { Tx } from '../events/user-event.repository.js';
import { UserAlreadyExistsError } from './user.error.js';
import { z } from 'zod';
import { countRow, oneRowOf, rowsOf } from '../db/rows.js';
import { RECORD_FIELDS, recordSchema, selectList, userSelect, type RecordField } from './user.columns.js';
import type { NewUser, UserChanges, UserRecord } from './user.model.js';
import type { PageRequest, UserFilter } from './listing/listing.model.js';
import { countQuery, estimateQuery, needsEstimate, pageFields, pageQuery, SORT_MATCHES_BELOW } from './listing/listing.sql.js';

type Db = PrismaClient | Prisma.TransactionClient;

const pageRows = rowsOf('users page', recordSchema(RECORD_FIELDS));
/** Row checkers for pages of some fields only, by field list (a handful of shapes in practice). */
const partialPageRows = new Map<string, (rows: unknown) => unknown[]>();
function pageRowsOf(fields: readonly RecordField[]): (rows: unknown) => unknown[] {
  const key = fields.join(',');
  let check = partialPageRows.get(key);
  if (!check) partialPageRows.set(key, (check = rowsOf('users page', recordSchema(fields))));
  return check;
}

/**
 * One live user by id, reading `fields` and the id: the query behind user(id) and me. Raw SQL from
 * the column map, not Prisma's findFirst: a lookup per request through Prisma's query compiler cost
 * ~100 us more CPU than the same statement through $queryRaw (bench, 4 fields).
 */
export function liveUserByIdQuery(id: string, fields: readonly RecordField[]): Prisma.Sql {
  return Prisma.sql`SELECT ${Prisma.raw(selectList(withId(fields)))} FROM users u WHERE u.id = ${id}::uuid AND u.deleted_at IS NULL`;
}
const withId = (fields: readonly RecordField[]) => RECORD_FIELDS.filter((f) => f === 'id' || fields.includes(f));

const planRows = rowsOf('users page plan', z.object({ 'QUERY PLAN': z.string() }));
// EXPLAIN (FORMAT JSON): PostgreSQL's driver parses the JSON, PGlite's hands it over as text.
const estimateRow = oneRowOf('users row estimate', z.object({ 'QUERY PLAN': z.unknown() }));
const estimatedPlan = z.array(z.object({ Plan: z.object({ 'Plan Rows': z.number().optional() }).optional() }));
const countOf = oneRowOf('users count', countRow);

export type UpdateOutcome =
  | { kind: 'updated'; user: UserRecord; before: UserRecord }
  | { kind: 'not_found' }
  | { kind: 'version_conflict'; actual: number };

export class UsersRepository {
  constructor(
    private readonly db: Db,
    private readonly root: PrismaClient,
  ) {}

  static create(prisma: PrismaClient): UsersRepository {
    return new UsersRepository(prisma, prisma);
  }

  /**
   * Runs `work` in one transaction with a repository bound to it. `tx` is for other
   * repositories that must write in the same transaction (the event outbox).
   */
  transaction<T>(work: (repo: UsersRepository, tx: Tx) => Promise<T>): Promise<T> {
    if (this.db !== this.root) return work(this, this.db);
    return this.root.$transaction((tx) => work(new UsersRepository(tx, this.root), tx));
  }

  /**
   * With `fields`, the record holds only those and the id (the rest are absent): for a caller
   * that knows what it will read (user(id) and me read what the operation selects).
   */
  async findById(id: string, options: { includeDeleted?: boolean; fields?: readonly RecordField[] | undefined } = {}): Promise<UserRecord | null> {
    if (options.fields && !options.includeDeleted) {
      const rows = pageRowsOf(withId(options.fields))(await this.db.$queryRaw(liveUserByIdQuery(id, options.fields)));
      return (rows[0] as UserRecord | undefined) ?? null;
    }
    return this.db.user.findFirst({ where: { id, ...(options.includeDeleted ? {} : { deletedAt: null }) }, select: userSelect });
  }

  /** Any rows with these ids, deleted ones included (audit references point at them too). */
  async findByIds(ids: readonly string[]): Promise<UserRecord[]> {
    return this.db.user.findMany({ where: { id: { in: [...ids] } }, select: userSelect });
  }

  async findByEmail(email: string): Promise<UserRecord | null> {
    return this.db.user.findFirst({ where: { email, deletedAt: null }, select: userSelect });
  }

  async findCredentials(email: string): Promise<{ user: UserRecord; passwordHash: string | null } | null> {
    const row = await this.db.user.findFirst({
      where: { email, deletedAt: null },
      select: { ...userSelect, passwordHash: true },
    });
    if (!row) return null;
    const { passwordHash, ...user } = row;
    return { user, passwordHash };
  }

  /** A live user's record and password hash, by id (changeMyPassword checks the current password). */
  async findCredentialsById(id: string): Promise<{ user: UserRecord; passwordHash: string | null } | null> {
    const row = await this.db.user.findFirst({ where: { id, deletedAt: null }, select: { ...userSelect, passwordHash: true } });
    if (!row) return null;
    const { passwordHash, ...user } = row;
    return { user, passwordHash };
  }

  /**
   * Sets (or, with null, removes) a live user's password and whether it must be changed at the
   * next login: a new version. null when there is no such live user.
   */
  async setPassword(id: string, passwordHash: string | null, passwordChangeRequired: boolean, actorId: string | null, now: Date): Promise<UserRecord | null> {
    const result = await this.db.user.updateMany({
      where: { id, deletedAt: null },
      data: { passwordHash, passwordChangeRequired, updatedById: actorId, updatedAt: now, version: { increment: 1 } },
    });
    return result.count === 0 ? null : this.findById(id);
  }

  /** Whether the table has any row at all: one index probe, where COUNT(*) reads a million rows. */
  async anyExists(): Promise<boolean> {
    return (await this.db.user.findFirst({ select: { id: true } })) !== null;
  }

  async insert(data: NewUser, actorId: string | null): Promise<UserRecord> {
    try {
      return await this.db.user.create({
        data: { ...prismaData(data), email: data.email, createdById: actorId, updatedById: actorId },
        select: userSelect,
      });
    } catch (error) {
      throw mapUniqueViolation(error, data);
    }
  }

  async findByExternalId(externalId: string): Promise<UserRecord | null> {
    return this.db.user.findFirst({ where: { externalId, deletedAt: null }, select: userSelect });
  }

  /**
   * Applies `changes` to a live user at `now`, bumping `version`. With `expectedVersion`, the
   * update only happens if the row is still at that version (compare-and-set in the WHERE clause).
   */
  async update(
    id: string,
    /** Or, for changes computed from the current row (an attribute patch), a function of it. */
    changesOrPatch: UserChanges | ((before: UserRecord) => UserChanges),
    actorId: string | null,
    now: Date,
    expectedVersion?: number,
    /** Runs on the locked row before the write; throw to refuse (the transaction rolls back). */
    precondition?: (before: UserRecord) => void,
  ): Promise<UpdateOutcome> {
    const before = await this.findForUpdate(id);
    if (!before) return { kind: 'not_found' };
    precondition?.(before);
    if (expectedVersion !== undefined && before.version !== expectedVersion) {
      return { kind: 'version_conflict', actual: before.version };
    }
    const changes = typeof changesOrPatch === 'function' ? changesOrPatch(before) : changesOrPatch;
    try {
      const result = await this.db.user.updateMany({
        where: { id, deletedAt: null, version: before.version },
        data: { ...prismaData(changes), updatedById: actorId, updatedAt: now, version: { increment: 1 } },
      });
      if (result.count === 0) {
        const now = await this.findById(id);
        return now ? { kind: 'version_conflict', actual: now.version } : { kind: 'not_found' };
      }
    } catch (error) {
      throw mapUniqueViolation(error, { email: changes.email ?? before.email, externalId: changes.externalId ?? before.externalId });
    }
    const user = await this.findById(id, { includeDeleted: true });
    return user ? { kind: 'updated', user, before } : { kind: 'not_found' };
  }

  async recordLogin(id: string, at: Date): Promise<UserRecord> {
    // A login is not an edit: raw SQL so Prisma's @updatedAt and the version stay untouched.
    await this.db.$executeRaw`UPDATE users SET last_login_at = ${at} WHERE id = ${id}::uuid`;
    const user = await this.findById(id, { includeDeleted: true });
    if (!user) throw new Error(`user ${id} vanished during login`);
    return user;
  }

  /**
   * A page of users. With `fields`, each record holds only those fields, the id and the sort
   * keys (the rest are absent): for a caller that knows what it will read (the GraphQL listing).
   */
  async page(request: PageRequest, now: Date, fields?: readonly RecordField[]): Promise<UserRecord[]> {
    const rows: unknown = await this.db.$queryRaw(await this.pageSql(request, now, fields));
    if (!fields) return pageRows(rows);
    return pageRowsOf(pageFields(fields, request.order))(rows) as UserRecord[];
  }

  /** The plan PostgreSQL chooses for a page (for the benchmark's index report). */
  async explainPage(request: PageRequest, now: Date): Promise<string[]> {
    const rows = planRows(await this.db.$queryRaw(Prisma.sql`EXPLAIN ${await this.pageSql(request, now)}`));
    return rows.map((r) => r['QUERY PLAN']);
  }

  private async pageSql(request: PageRequest, now: Date, fields?: readonly RecordField[]): Promise<Prisma.Sql> {
    // One EXPLAIN (no rows read) picks the plan for the filter shape the planner misjudges.
    const sortMatches = needsEstimate(request) && (await this.estimateRows(request.filter, now)) < SORT_MATCHES_BELOW;
    return pageQuery(request, now, { sortMatches, fields });
  }

  private async estimateRows(filter: UserFilter, now: Date): Promise<number> {
    const raw = estimateRow(await this.db.$queryRaw(estimateQuery(filter, now)))['QUERY PLAN'];
    const plan = estimatedPlan.safeParse(typeof raw === 'string' ? JSON.parse(raw) : raw);
    // A plan of another shape only costs the better plan choice: the page walks the sort index.
    return (plan.success ? plan.data[0]?.Plan?.['Plan Rows'] : undefined) ?? Number.POSITIVE_INFINITY;
  }

  async count(filter: UserFilter, now: Date): Promise<number> {
    return countOf(await this.db.$queryRaw(countQuery(filter, now))).n;
  }

  /** Reads a live row and locks it inside a transaction so concurrent writers serialise. */
  private async findForUpdate(id: string): Promise<UserRecord | null> {
    if (this.db !== this.root) {
      await this.db.$queryRaw`SELECT 1 FROM users WHERE id = ${id}::uuid FOR UPDATE`;
    }
    return this.findById(id);
  }
}

/** Prisma writes a JSON column's null as DbNull (a plain null is refused for Json fields). */
function prismaData(changes: UserChanges): Omit<UserChanges, 'attributes'> & { attributes?: Prisma.InputJsonObject | typeof Prisma.DbNull } {
  const { attributes, ...rest } = changes;
  if (attributes === undefined) return rest;
  return { ...rest, attributes: attributes === null ? Prisma.DbNull : attributes };
}

/**
 * A unique violation as USER_MANAGEMENT_USER_ALREADY_EXISTS naming the value that collided: live
 * emails and live external ids are unique (users_email_live_key, users_external_id_live_key).
 * Anything else as it is.
 */
export function mapUniqueViolation(error: unknown, values: { email: string; externalId?: string | null }): unknown {
  if (error instanceof Prisma.PrismaClientKnownRequestError && (error.code === 'P2002' || isRawUniqueViolation(error))) {
    if (/external_id/.test(`${error.message} ${JSON.stringify(error.meta ?? {})}`)) {
      return new UserAlreadyExistsError(values.externalId ?? 'this external id', 'externalId');
    }
    return new UserAlreadyExistsError(values.email);
  }
  return error;
}

/** Raw queries fail with P2010; the driver adapter names the cause (23505 on PostgreSQL and PGlite alike). */
function isRawUniqueViolation(error: Prisma.PrismaClientKnownRequestError): boolean {
  const cause = (error.meta as { driverAdapterError?: { cause?: { kind?: unknown; originalCode?: unknown } } } | undefined)?.driverAdapterError?.cause;
  return error.code === 'P2010' && (cause?.kind === 'UniqueConstraintViolation' || cause?.originalCode === '23505');
}
