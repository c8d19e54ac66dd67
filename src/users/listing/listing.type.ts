// GraphQL shapes of the listing: UserFilter, UserOrder and the Relay connection.
import { GraphQLJSON } from 'graphql-scalars';
import { Field, Float, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { UserAccess } from '../../auth/auth.checker.js';
import { asEnum } from '../../graphql-enum.js';
import { USER_STATUSES, type Role as RoleValue, type UserStatus } from '../user.model.js';
import { Role, User, type Relation } from '../user.type.js';
import { DELETED_MODES, SORT_FIELDS, type DeletedMode, type SortDirection, type SortField } from './listing.model.js';

export const UserSortField = asEnum(SORT_FIELDS);
registerEnumType(UserSortField, { name: 'UserSortField' });
export const SortDirectionEnum = asEnum(['ASC', 'DESC'] as const);
registerEnumType(SortDirectionEnum, { name: 'SortDirection' });
export const DeletedFilter = asEnum(DELETED_MODES);
registerEnumType(DeletedFilter, {
  name: 'DeletedFilter',
  description: 'EXCLUDE (default) hides soft-deleted users; INCLUDE and ONLY need ADMIN.',
});
export const UserStatusEnum = asEnum(USER_STATUSES);
registerEnumType(UserStatusEnum, { name: 'UserStatus' });

@InputType({ description: 'Half-open time range: gte <= t < lt. Either bound may be omitted.' })
export class TimeRangeInput {
  @Field(() => Date, { nullable: true })
  gte?: Date | null;

  @Field(() => Date, { nullable: true })
  lt?: Date | null;
}

@InputType()
export class NullableTimeRangeInput extends TimeRangeInput {
  @Field(() => Boolean, { nullable: true, description: 'true: only users where the value is null; false: only where it is set.' })
  isNull?: boolean | null;
}

@InputType({
  description:
    'One test on an attribute: exactly one of eq, in, exists, or a numeric range (gte and/or lt). Served by the GIN index on attributes (eq, in, exists).',
})
export class AttributeCondition {
  @Field(() => String, { description: 'Keys joined by dots: "plan", "flags.beta" (at most 5).' })
  path!: string;

  @Field(() => GraphQLJSON, { nullable: true, description: 'Equal to this string, number or boolean.' })
  eq?: unknown;

  @Field(() => [GraphQLJSON], { nullable: true, description: 'Equal to any of these (1 to 100) strings, numbers or booleans.' })
  in?: unknown[] | null;

  @Field(() => Boolean, { nullable: true, description: 'true: the path is present (even with null); false: absent.' })
  exists?: boolean | null;

  @Field(() => Float, { nullable: true, description: 'A number at least this (a non-number never matches).' })
  gte?: number | null;

  @Field(() => Float, { nullable: true, description: 'A number below this.' })
  lt?: number | null;
}

@InputType({ description: 'All fields optional; given fields are combined with AND.' })
export class UserFilter {
  @Field(() => String, { nullable: true, description: 'Case-insensitive substring of email, name, firstName or lastName.' })
  search?: string | null;

  @Field(() => String, { nullable: true, description: 'Exact email, case-insensitive.' })
  email?: string | null;

  @Field(() => [ID], { nullable: true, description: 'At most 1,000 ids.' })
  ids?: string[] | null;

  @Field(() => [Role], { nullable: true })
  roles?: RoleValue[] | null;

  @Field(() => Boolean, { nullable: true })
  isActive?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  isEmailVerified?: boolean | null;

  @Field(() => TimeRangeInput, { nullable: true })
  createdAt?: TimeRangeInput | null;

  @Field(() => TimeRangeInput, { nullable: true })
  updatedAt?: TimeRangeInput | null;

  @Field(() => NullableTimeRangeInput, { nullable: true })
  lastLoginAt?: NullableTimeRangeInput | null;

  @Field(() => DeletedFilter, { nullable: true, defaultValue: 'EXCLUDE' })
  deleted?: DeletedMode | null;

  @Field(() => [UserStatusEnum], { nullable: true, description: 'Any of these derived statuses.' })
  status?: UserStatus[] | null;

  @Field(() => [AttributeCondition], { nullable: true, description: 'Attribute tests, all of which must hold (at most 20).' })
  attributes?: AttributeCondition[] | null;

  @Field(() => [String], { nullable: true, description: 'Any of these external ids (exact, case-sensitive; at most 1,000).' })
  externalIds?: string[] | null;
}

@InputType({ description: 'One sort key. Ties are always broken by id; nulls sort last.' })
export class UserOrder {
  @Field(() => UserSortField)
  field!: SortField;

  @Field(() => SortDirectionEnum, { defaultValue: 'ASC' })
  direction!: SortDirection;
}

@ObjectType()
export class PageInfo {
  /** Not GraphQL fields as such: the hasNextPage/hasPreviousPage field resolvers call them only when selected. */
  hasNextPage!: () => Promise<boolean>;

  hasPreviousPage!: () => Promise<boolean>;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType()
export class UserEdge {
  @Field()
  cursor!: string;

  @UserAccess({ inheritedFrom: ['users'], why: 'users requires users.read, which reads every user (canReadUser in auth/policy.ts)' })
  @Field(() => User)
  node!: Relation<User>;
}

@ObjectType()
export class UserConnection {
  @Field(() => [UserEdge])
  edges!: UserEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  /** Not a GraphQL field: the totalCount field resolver calls it only when selected. */
  totalCount!: () => Promise<number>;
}
