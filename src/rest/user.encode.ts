// Domain records as the JSON /api/users answers with (the response schemas of user.schema.ts):
// dates as RFC 3339 text, the derived status, never passwordHash (UserRecord has none).
import type { z } from 'zod';
import { userStatus } from '../users/user.columns.js';
import type { UserRecord } from '../users/user.model.js';
import type { ImportRecord, ImportRowError } from '../users/import/import.model.js';
import type { UserStatsData } from '../users/stats/stats.service.js';
import type { importResultSchema, statsSchema, userSchema } from './user.schema.js';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function encodeUser(u: UserRecord, now: Date): z.output<typeof userSchema> {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    firstName: u.firstName,
    lastName: u.lastName,
    phoneNumber: u.phoneNumber,
    avatarUrl: u.avatarUrl,
    role: u.role,
    isActive: u.isActive,
    isEmailVerified: u.isEmailVerified,
    status: userStatus(u, now),
    version: u.version,
    externalId: u.externalId,
    attributes: u.attributes as Record<string, unknown> | null,
    lastLoginAt: iso(u.lastLoginAt),
    lockedUntil: iso(u.lockedUntil),
    suspendedAt: iso(u.suspendedAt),
    suspendedUntil: iso(u.suspendedUntil),
    suspensionReason: u.suspensionReason,
    passwordChangeRequired: u.passwordChangeRequired,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
    deletedAt: iso(u.deletedAt),
    erasedAt: iso(u.erasedAt),
    createdById: u.createdById,
    updatedById: u.updatedById,
    deletedById: u.deletedById,
  };
}

/** The strong validator of one user: its version (RFC 9110 entity tag). */
export function etagOf(u: Pick<UserRecord, 'version'>): string {
  return `"${u.version}"`;
}

export function encodeStats(s: UserStatsData): z.output<typeof statsSchema> {
  return {
    total: s.total,
    active: s.active,
    inactive: s.inactive,
    suspended: s.suspended,
    deleted: s.deleted,
    verified: s.verified,
    unverified: s.unverified,
    createdInRange: s.createdInRange,
    loggedInInRange: s.loggedInInRange,
    from: s.from.toISOString(),
    to: s.to.toISOString(),
    byRole: s.byRole,
    signupsByDay: s.signupsByDay,
  };
}

export function encodeImport(r: ImportRecord, errors: ImportRowError[]): z.output<typeof importResultSchema> {
  return {
    id: r.id,
    status: r.status,
    filename: r.filename,
    mode: r.mode,
    dryRun: r.dryRun,
    totalRows: r.totalRows,
    processedRows: r.processedRows,
    created: r.created,
    updated: r.updated,
    skipped: r.skipped,
    failed: r.failed,
    errorCount: r.errorCount,
    lastCommittedRow: r.lastCommittedRow,
    failure: r.failure,
    startedAt: r.startedAt.toISOString(),
    finishedAt: iso(r.finishedAt),
    errors: errors.map((e) => ({ row: e.row, email: e.email, field: e.field, code: e.code, message: e.message })),
  };
}
