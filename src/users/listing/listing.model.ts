// The listing contract in domain terms (GraphQL inputs map onto these 1:1).
import type { Role } from '../user.model.js';

export const SORT_FIELDS = ['CREATED_AT', 'UPDATED_AT', 'EMAIL', 'NAME', 'LAST_NAME', 'LAST_LOGIN_AT'] as const;
export type SortField = (typeof SORT_FIELDS)[number];
export type SortDirection = 'ASC' | 'DESC';
export interface SortKey {
  field: SortField;
  direction: SortDirection;
}

export const DELETED_MODES = ['EXCLUDE', 'INCLUDE', 'ONLY'] as const;
export type DeletedMode = (typeof DELETED_MODES)[number];

export const USER_STATUSES = ['ACTIVE', 'INACTIVE', 'SUSPENDED', 'DELETED'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

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
}

export const DEFAULT_ORDER: SortKey[] = [{ field: 'CREATED_AT', direction: 'DESC' }];
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
export const MAX_FILTER_IDS = 1000;

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
