import { Field, ID, InputType, ObjectType } from 'type-graphql';

@ObjectType({ description: 'One login or refresh attempt. Never carries a password or a token.' })
export class LoginAttempt {
  @Field(() => ID, { description: 'Also the cursor: pass it as `after` for older attempts.' })
  id!: string;

  @Field(() => Date)
  occurredAt!: Date;

  @Field({ description: 'LOGIN or REFRESH.' })
  kind!: string;

  @Field({ description: 'SUCCESS or FAILURE.' })
  outcome!: string;

  @Field(() => String, {
    nullable: true,
    description:
      'Why it failed. Logins: WRONG_PASSWORD, UNKNOWN (no live account has the email), INACTIVE, SUSPENDED, LOCKED (too many failures for the email), THROTTLED (too many from the address). Refreshes: UNKNOWN_TOKEN, REFRESH_TOKEN_REUSED, SESSION_ENDED, INACTIVE.',
  })
  reason!: string | null;

  @Field(() => String, { nullable: true, description: 'The email tried (logins).' })
  email!: string | null;

  @Field(() => ID, { nullable: true, description: 'The account, when the email or token led to one.' })
  userId!: string | null;

  @Field(() => ID, { nullable: true })
  sessionId!: string | null;

  @Field(() => String, { nullable: true })
  ip!: string | null;

  @Field(() => String, { nullable: true })
  userAgent!: string | null;
}

@ObjectType()
export class LoginAttemptPage {
  @Field(() => [LoginAttempt], { description: 'Newest first.' })
  nodes!: LoginAttempt[];

  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next (older) page.' })
  endCursor!: string | null;
}

@InputType()
export class LoginHistoryFilter {
  @Field(() => String, { nullable: true, description: 'SUCCESS or FAILURE; default FAILURE.' })
  outcome?: string | null;

  @Field(() => String, { nullable: true, description: 'Exact email tried (case-insensitive).' })
  email?: string | null;

  @Field(() => Date, { nullable: true })
  from?: Date | null;

  @Field(() => Date, { nullable: true })
  to?: Date | null;
}
