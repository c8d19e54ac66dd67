// The listing contract in domain terms (GraphQL inputs map onto these 1:1).
import type { Role, UserRecord, UserStatus } from '../user.model.js';
import type { AttributeConditionInput } from '../user.attributes.js';

export const SORT_FIELDS = ['CREATED_AT', 'UPDATED_AT', 'EMAIL', 'NAME', 'LAST_NAME', 'LAST_LOGIN_AT'] as const;
export type SortField = (typeof SORT_FIELDS)[number];
/** The record field each sort key orders by (and names it in raw rows; its column is in user.columns.ts). */
export const SORT_KEYS = {
  CREATED_AT: 'createdAt',
  UPDATED_AT: 'updatedAt',
  EMAIL: 'email',
  NAME: 'name',
  LAST_NAME: 'lastName',
  LAST_LOGIN_AT: 'lastLoginAt',
} as const satisfies Record<SortField, keyof UserRecord>;
export type SortDirection = 'ASC' | 'DESC';
export interface SortKey {
  field: SortField;
  direction: SortDirection;
}

export const DELETED_MODES = ['EXCLUDE', 'INCLUDE', 'ONLY'] as const;
export type DeletedMode = (typeof DELETED_MODES)[number];

export interface TimeRange {
  gte?: Date | null;
  lt?: Date | null;
}

export interface NullableTimeRange extends TimeRange {
  isNull?: boolean | null;
}

/** All optional, combined with AND. Normalised by the service before it reaches SQL. */
export interface UserFilter {
  search?: string | null;
  email?: string | null;
  ids?: string[] | null;
  roles?: Role[] | null;
  isActive?: boolean | null;
  isEmailVerified?: boolean | null;
  createdAt?: TimeRange | null;
  updatedAt?: TimeRange | null;
  lastLoginAt?: NullableTimeRange | null;
  deleted?: DeletedMode | null;
  status?: UserStatus[] | null;
  /** ANDed; checked by parseAttributeConditions (user.attributes.ts). */
  attributes?: AttributeConditionInput[] | null;
  /** Exact, case-sensitive; at most MAX_FILTER_IDS. */
  externalIds?: string[] | null;
}

export const DEFAULT_ORDER: SortKey[] = [{ field: 'CREATED_AT', direction: 'DESC' }];
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
export const MAX_FILTER_IDS = 1000;
/**
 * Deepest offset a listing may start at (REST's `page`): an offset is read past row by row, so
 * its cost grows with its depth, unlike a cursor's. Deeper than this, page with cursors.
 */
export const MAX_OFFSET_ROWS = 10_000;

/** A decoded position: the sort-key values of the row the cursor points at, plus its id. */
export interface Position {
  values: (string | null)[];
  id: string;
}

export interface PageRequest {
  filter: UserFilter;
  order: SortKey[];
  /** Rows to return, already validated. */
  limit: number;
  /** Direction of travel: forward (first/after) or backward (last/before). */
  backward: boolean;
  /** Exclusive start position; undefined starts at the beginning (or end, going backward). */
  from: Position | undefined;
}
