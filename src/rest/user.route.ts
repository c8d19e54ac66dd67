// /api/users: one user (read, create, change, delete, lifecycle) and the listing. Thin like the
// resolvers: decode (rest.operation.ts, with user.schema.ts), call the same service method the
// GraphQL field calls, encode (user.encode.ts). Rules, permissions and events are the services'.
import { z } from 'zod';
import type { UserFilter } from '../users/listing/listing.model.js';
import { UserNotFoundError, VersionConflictError } from '../users/user.error.js';
import type { UserRecord } from '../users/user.model.js';
import { isUuid } from '../users/user.validation.js';
import { BadRequestError } from '../errors.js';
import { COUNT_POINTS } from '../http/rate.limit.js';
import { PreconditionFailedError, RequestFieldError } from './rest.error.js';
import { route, type RestCall, type RestKit } from './rest.operation.js';
import { encodeUser, etagOf } from './user.encode.js';
import {
  createUserBody,
  etagHeader,
  type filterQuery,
  idParams,
  ifMatchHeader,
  listQuery,
  suspendBody,
  updateUserBody,
  userPageSchema,
  userSchema,
} from './user.schema.js';

const TAG = 'users';
const ETAG = { etag: { description: 'The user\'s version, in quotes.', schema: etagHeader } };
const oneUser = { description: 'The user.', schema: userSchema, headers: ETAG };

/** The listing's GraphQL-side names as the query parameters that carry them. */
const LIST_FIELDS: [RegExp, string][] = [
  [/^filter\.createdAt.*/, 'createdFrom'],
  [/^filter\.roles.*/, 'role'],
  [/^filter\.(\w+).*/, '$1'],
  [/^first$/, 'limit'],
  [/^after$/, 'cursor'],
  [/^orderBy.*/, 'sort'],
  [/^offset$/, 'page'],
];
const listField = (field: string) => {
  for (const [pattern, name] of LIST_FIELDS) if (pattern.test(field)) return field.replace(pattern, name);
  return field;
};

type FilterParams = { [K in keyof typeof filterQuery]?: z.output<(typeof filterQuery)[K]> };

/** The filter query parameters as the listing's filter (list and export). */
export function filterOf(q: FilterParams): UserFilter {
  return {
    ...(q.search !== undefined ? { search: q.search } : {}),
    ...(q.isActive !== undefined ? { isActive: q.isActive } : {}),
    ...(q.isEmailVerified !== undefined ? { isEmailVerified: q.isEmailVerified } : {}),
    ...(q.role ? { roles: q.role } : {}),
    ...(q.status ? { status: q.status } : {}),
    ...(q.createdFrom || q.createdTo ? { createdAt: { gte: q.createdFrom ?? null, lt: q.createdTo ?? null } } : {}),
    ...(q.deleted ? { deleted: q.deleted } : {}),
  };
}

export function userRoutes(kit: RestKit): void {
  const { services } = kit;
  const now = () => services.clock.now();
  const sendUser = (res: RestCall<unknown, unknown, unknown>['res'], user: UserRecord, status = 200) => {
    res.status(status).set({ etag: etagOf(user), 'cache-control': 'no-store' }).json(encodeUser(user, now()));
  };

  route(kit, {
    method: 'get',
    path: '/api/users',
    operationId: 'listUsers',
    summary: 'List users: filters, sort, cursor or page paging',
    description:
      'Keyset paging with `cursor` (the `nextCursor` of the previous page; stable while rows are inserted), or offset paging with `page` up to a documented depth. Same filters and sort keys as the GraphQL `users` listing.',
    tag: TAG,
    permission: 'users.read',
    query: listQuery,
    responses: { 200: { description: 'One page of users.', schema: userPageSchema } },
    errors: [],
    points: (q) => (q.total === 'true' ? COUNT_POINTS : 1),
    renameField: listField,
  }, async ({ query: q, principal, res }) => {
      if (q.page !== undefined && q.cursor !== undefined) throw new BadRequestError('Use either cursor or page, not both');
      const limit = q.limit ?? 20;
      const page = await services.users.list(principal, {
        first: limit,
        after: q.cursor ?? null,
        orderBy: q.sort ?? null,
        filter: filterOf(q),
        offset: q.page !== undefined ? (q.page - 1) * limit : null,
      });
      const [hasNextPage, total] = await Promise.all([page.pageInfo.hasNextPage(), q.total ? page.totalCount() : undefined]);
      res.set('cache-control', 'no-store').json({
        data: page.edges.map((e) => encodeUser(e.node, now())),
        pagination: {
          limit,
          ...(q.page !== undefined ? { page: q.page } : {}),
          nextCursor: hasNextPage ? page.pageInfo.endCursor : null,
          hasNextPage,
          ...(total !== undefined ? { total } : {}),
        },
      });
    });

  route(kit, {
    method: 'post',
    path: '/api/users',
    operationId: 'createUser',
    summary: 'Create a user',
    tag: TAG,
    permission: 'users.write',
    body: createUserBody,
    responses: { 201: { ...oneUser, description: 'Created; Location names the new user.', headers: { ...ETAG, location: { description: 'The new user\'s URL.', schema: z.string() } } } },
    errors: [409],
  }, async ({ principal, req, res }) => {
      // The service validates the body with the same rulebook (it names fields `input.*`).
      const user = await services.users.create(principal, req.body as Record<string, unknown>);
      res.set('location', `/api/users/${user.id}`);
      sendUser(res, user, 201);
    });

  route(kit, {
    method: 'get',
    path: '/api/users/:id',
    operationId: 'getUser',
    summary: 'One user',
    description: 'ADMIN and VIEWER read anyone; USER only themselves. With `If-None-Match` holding the current ETag: 304.',
    tag: TAG,
    permission: 'self.read',
    params: idParams,
    requestHeaders: { 'if-none-match': { description: 'An ETag you hold: 304 when it is still current.', schema: z.string() } },
    responses: { 200: oneUser, 304: { description: 'Not modified: your copy is current.', headers: ETAG } },
    errors: [404],
  }, async ({ params, principal, req, res }) => {
      const user = await services.users.getById(principal, userId(params.id));
      if (!user) throw new UserNotFoundError(userId(params.id));
      const held = req.headers['if-none-match'];
      if (held && held.split(',').some((t) => t.trim().replace(/^W\//, '') === etagOf(user))) {
        res.status(304).set('etag', etagOf(user)).end();
        return;
      }
      sendUser(res, user);
    });

  route(kit, {
    method: 'patch',
    path: '/api/users/:id',
    operationId: 'updateUser',
    summary: 'Change a user (partial)',
    description: 'Omitted fields stay, null clears. With `If-Match: "<version>"` a concurrent change answers 412 instead of being overwritten.',
    tag: TAG,
    permission: 'users.write',
    params: idParams,
    body: updateUserBody,
    requestHeaders: { 'if-match': { description: ifMatchHeader.description ?? '', schema: ifMatchHeader } },
    responses: { 200: oneUser },
    errors: [404, 409, 412, 422],
  }, async ({ params, principal, req, res }) => {
      const expected = expectedVersion(req.headers['if-match']);
      try {
        sendUser(res, await services.users.update(principal, userId(params.id), req.body as Record<string, unknown>, expected));
      } catch (error) {
        if (error instanceof VersionConflictError && expected !== null) throw new PreconditionFailedError(error.code, error.message, error.details);
        throw error;
      }
    });

  route(kit, {
    method: 'delete',
    path: '/api/users/:id',
    operationId: 'deleteUser',
    summary: 'Soft-delete a user',
    tag: TAG,
    permission: 'users.write',
    params: idParams,
    responses: { 204: { description: 'Deleted (the row stays, with deletedAt; the email is free again).' } },
    errors: [404],
  }, async ({ params, principal, res }) => {
      await services.lifecycle.delete(principal, userId(params.id));
      res.status(204).end();
    });

  route(kit, {
    method: 'post',
    path: '/api/users/:id/suspend',
    operationId: 'suspendUser',
    summary: 'Suspend a user',
    tag: TAG,
    permission: 'users.write',
    params: idParams,
    body: suspendBody,
    responses: { 200: oneUser },
    errors: [404, 422],
  }, async ({ params, body, principal, res }) => {
      sendUser(res, await services.lifecycle.suspend(principal, userId(params.id), body.reason, body.until ? new Date(body.until) : null));
    });

  // The state changes without a body: one declaration each, the same shape.
  const stateChanges = [
    ['unsuspend', 'unsuspendUser', 'End a suspension now', (p, id) => services.lifecycle.unsuspend(p, id)],
    ['restore', 'restoreUser', 'Undo a soft delete', (p, id) => services.lifecycle.restore(p, id)],
    ['activate', 'activateUser', 'Let a user log in again', (p, id) => services.lifecycle.activate(p, id)],
    ['deactivate', 'deactivateUser', 'Stop a user from logging in', (p, id) => services.lifecycle.deactivate(p, id)],
  ] as const satisfies readonly (readonly [string, string, string, (p: RestCall<unknown, unknown, unknown>['principal'], id: string) => Promise<UserRecord>])[];
  for (const [action, operationId, summary, apply] of stateChanges) {
    route(kit, {
      method: 'post',
      path: `/api/users/:id/${action}`,
      operationId,
      summary,
      tag: TAG,
      permission: 'users.write',
      params: idParams,
      responses: { 200: oneUser },
      errors: [404, 409, 422],
    }, async ({ params, principal, res }) => {
        sendUser(res, await apply(principal, userId(params.id)));
      });
  }
}

/** An id in the path that is not a UUID names no user: 404, as an unknown one. */
function userId(id: string): string {
  if (!isUuid(id)) throw new UserNotFoundError(id.slice(0, 100));
  return id;
}

/** `If-Match: "3"` -> 3; absent or `*` -> null (no check). Weak tags never match (RFC 9110). */
function expectedVersion(header: string | undefined): number | null {
  if (header === undefined || header.trim() === '*') return null;
  const match = /^\s*"(\d{1,9})"\s*$/.exec(header);
  if (!match) throw new RequestFieldError([{ field: 'If-Match', message: 'must be the ETag of the user, e.g. "3"' }]);
  return Number(match[1]);
}
