// GraphQL input types. Validation rules live in user.validation.ts (shared with CSV import);
// these classes only describe the shape.
import { GraphQLJSON } from 'graphql-scalars';
import { Field, InputType } from 'type-graphql';
import type { Role as RoleValue } from './user.model.js';
import { Role } from './user.type.js';

@InputType({ description: 'Fields a user may change about themselves. null clears a field.' })
export class UpdateMeInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  firstName?: string | null;

  @Field(() => String, { nullable: true })
  lastName?: string | null;

  @Field(() => String, { nullable: true, description: 'E.164, e.g. +14155550123.' })
  phoneNumber?: string | null;

  @Field(() => String, { nullable: true, description: 'http(s) URL, at most 512 characters.' })
  avatarUrl?: string | null;
}

@InputType({ description: 'Partial update: omitted fields are left alone, null clears a field.' })
export class UpdateUserInput extends UpdateMeInput {
  @Field(() => String, { nullable: true })
  email?: string;

  @Field(() => String, { nullable: true, description: '8 to 72 bytes; null removes the password (no password login).' })
  password?: string | null;

  @Field(() => Role, { nullable: true })
  role?: RoleValue;

  @Field(() => Boolean, { nullable: true })
  isActive?: boolean;

  @Field(() => Boolean, { nullable: true })
  isEmailVerified?: boolean;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'Replaces the whole object (null clears it); patchUserAttributes changes single keys. A JSON object of at most 16 KB serialized, nested at most 5 levels, keys [A-Za-z0-9_.-]{1,64}.',
  })
  attributes?: unknown;

  @Field(() => String, { nullable: true, description: 'At most 255 characters, case-sensitive, unique among live users; blank or null removes it.' })
  externalId?: string | null;
}

@InputType()
export class CreateUserInput extends UpdateUserInput {
  @Field(() => String, { description: 'Trimmed and lower-cased before it is stored.' })
  declare email: string;
}
