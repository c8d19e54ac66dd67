// GraphQL object types for users. Resolvers return plain UserRecords; these classes only
// describe the shape. passwordHash has no field here, so it cannot be selected.
import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { Prisma } from '../generated/prisma/client.js';
import { UserAccess } from '../auth/auth.checker.js';
import { asEnum } from '../graphql-enum.js';
import { ROLES, type Role as RoleValue, type UserRecord } from './user.model.js';

export const Role = asEnum(ROLES);
registerEnumType(Role, {
  name: 'Role',
  description: 'ADMIN may do everything; VIEWER may read users, stats and events; USER may only use me/updateMe.',
});

/** Field type wrapper that defers class resolution (avoids ESM "used before initialization"). */
export type Relation<T> = T;

@ObjectType({ description: 'A user account. Soft-deleted users keep their row with deletedAt set.' })
export class User implements UserRecord {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'Stored trimmed and lower-cased; unique among users that are not deleted.' })
  email!: string;

  @Field(() => String, { nullable: true })
  name!: string | null;

  @Field(() => String, { nullable: true })
  firstName!: string | null;

  @Field(() => String, { nullable: true })
  lastName!: string | null;

  @Field(() => String, { nullable: true, description: 'E.164, e.g. +14155550123.' })
  phoneNumber!: string | null;

  @Field(() => String, { nullable: true })
  avatarUrl!: string | null;

  @Field()
  isActive!: boolean;

  @Field()
  isEmailVerified!: boolean;

  @Field(() => Role)
  role!: RoleValue;

  @Field(() => Date, { nullable: true })
  lastLoginAt!: Date | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;

  @Field(() => Date, { nullable: true })
  deletedAt!: Date | null;

  @Field(() => ID, { nullable: true })
  createdById!: string | null;

  @Field(() => ID, { nullable: true })
  updatedById!: string | null;

  @Field(() => ID, { nullable: true })
  deletedById!: string | null;

  @Field(() => Int, { description: 'Increases on every change; pass it as expectedVersion to updateUser.' })
  version!: number;

  @Field(() => Date, { nullable: true, description: 'When the current suspension started; null when not suspended.' })
  suspendedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the current suspension ends by itself; null: open-ended or not suspended.' })
  suspendedUntil!: Date | null;

  @Field(() => String, { nullable: true })
  suspensionReason!: string | null;

  @Field(() => Date, {
    nullable: true,
    description: 'Set after too many failed logins (LOGIN_MAX_FAILURES); the account is locked while it is ahead. unlockUser clears it.',
  })
  lockedUntil!: Date | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'A JSON object other domains keep on the user (ADMIN writes it): at most 16 KB, 5 levels, keys [A-Za-z0-9_.-]{1,64}.',
  })
  attributes!: Prisma.JsonValue | null;

  @Field(() => String, { nullable: true, description: 'The id of this user in another system: case-sensitive, unique among live users.' })
  externalId!: string | null;

  @Field(() => Date, { nullable: true, description: 'When eraseUser removed this user\'s personal data (status ERASED); null otherwise.' })
  erasedAt!: Date | null;

  @Field({ description: 'Set by setUserPassword(requireChange: true): the next login allows only me and changeMyPassword until the user changes it.' })
  passwordChangeRequired!: boolean;
}

@ObjectType()
export class AuthPayload {
  @Field()
  accessToken!: string;

  @Field(() => Date, { description: 'When accessToken expires (ACCESS_TOKEN_TTL after issue, 15 minutes by default).' })
  expiresAt!: Date;

  @Field({ description: 'Opaque; spend it with refreshSession for a new pair before refreshTokenExpiresAt. Each one works once.' })
  refreshToken!: string;

  @Field(() => Date, { description: 'When the session ends (REFRESH_TOKEN_TTL after login, 30 days by default).' })
  refreshTokenExpiresAt!: Date;

  @Field(() => ID, { description: 'The sign-in session both tokens belong to.' })
  sessionId!: string;

  @UserAccess({ inheritedFrom: ['login', 'refreshSession'], why: 'the user who has just proved their password or refresh token' })
  @Field(() => User)
  user!: Relation<User>;
}
