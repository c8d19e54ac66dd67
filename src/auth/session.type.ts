import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A sign-in session: opened by login, kept alive by refreshSession. Never carries a token.' })
export class Session {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  userId!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { description: 'The last login or refresh.' })
  lastUsedAt!: Date;

  @Field(() => Date, { description: 'When its refresh token stops working.' })
  expiresAt!: Date;

  @Field(() => String, { nullable: true })
  userAgent!: string | null;

  @Field(() => String, { nullable: true, description: 'The client address at login (see TRUST_PROXY).' })
  ip!: string | null;

  @Field({ description: "Whether the caller's token belongs to this session." })
  current!: boolean;
}
