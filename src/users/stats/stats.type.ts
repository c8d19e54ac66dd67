import { Field, Int, ObjectType } from 'type-graphql';
import type { Role as RoleValue } from '../user.model.js';
import { Role } from '../user.type.js';

@ObjectType()
export class RoleCount {
  @Field(() => Role)
  role!: RoleValue;

  @Field(() => Int)
  count!: number;
}

@ObjectType()
export class DayCount {
  @Field({ description: 'UTC day, YYYY-MM-DD.' })
  date!: string;

  @Field(() => Int)
  count!: number;
}

@ObjectType({ description: 'Counts over live (not soft-deleted) users unless the field says otherwise.' })
export class UserStats {
  @Field(() => Date, { description: 'Start of the range (inclusive).' })
  from!: Date;

  @Field(() => Date, { description: 'End of the range (exclusive).' })
  to!: Date;

  @Field(() => Int, { description: 'Users not soft-deleted.' })
  total!: number;

  @Field(() => Int, { description: 'Live users who can log in: active and not suspended.' })
  active!: number;

  @Field(() => Int, { description: 'Live users deactivated (and not suspended).' })
  inactive!: number;

  @Field(() => Int, { description: 'Live users currently suspended.' })
  suspended!: number;

  @Field(() => Int, { description: 'Soft-deleted users.' })
  deleted!: number;

  @Field(() => Int)
  verified!: number;

  @Field(() => Int)
  unverified!: number;

  @Field(() => [RoleCount], { description: 'Live users per role; every role is listed.' })
  byRole!: RoleCount[];

  @Field(() => Int, { description: 'Users created in the range, including ones deleted since.' })
  createdInRange!: number;

  @Field(() => Int, { description: 'Live users whose last login falls in the range.' })
  loggedInInRange!: number;

  @Field(() => [DayCount], { description: 'Users created per UTC day over the range, zero-filled.' })
  signupsByDay!: DayCount[];
}
