// The stack floor's schema: TypeGraphQL classes shaped like ours for the fields the peers
// workloads ask for (User, UserConnection, UserEdge, PageInfo, UserFilter, UserOrder and the root
// fields users, user and me, with our type, enum, argument and scalar names), built by buildSchema
// with the same options as src/schema.ts (DateTime from graphql-scalars, validate off). Its
// resolvers answer from memory: each distinct question is read from the database once, by exactly
// our SQL (rows.ts), and every later request gets the kept answer synchronously. What a request
// costs is then only the stack: HTTP, the GraphQL server, parse/validate (cached by Apollo),
// argument coercion, execution and serialisation. No auth, no plugins, no services.
import { DateTimeResolver } from 'graphql-scalars';
import type { GraphQLSchema } from 'graphql';
import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, InputType, Int, ObjectType, Query, Resolver, Root, buildSchema, registerEnumType } from 'type-graphql';
import { SORT_FIELDS, DELETED_MODES, type DeletedMode, type SortDirection, type SortField } from '../../src/users/listing/listing.model.js';
import { ROLES, type Role as RoleValue } from '../../src/users/user.model.js';
import { RECORD_FIELDS } from '../../src/users/user.columns.js';
import { asEnum } from '../../src/graphql-enum.js';
import { tokenOptionsFromEnv, verifyHs256 } from './hs256.js';
import type { PageArgs, Row, RowPage, RowReader } from './rows.js';

const Role = asEnum(ROLES);
registerEnumType(Role, { name: 'Role' });
const UserSortField = asEnum(SORT_FIELDS);
registerEnumType(UserSortField, { name: 'UserSortField' });
const SortDirectionEnum = asEnum(['ASC', 'DESC'] as const);
registerEnumType(SortDirectionEnum, { name: 'SortDirection' });
const DeletedFilter = asEnum(DELETED_MODES);
registerEnumType(DeletedFilter, { name: 'DeletedFilter' });

@ObjectType()
class User {
  @Field(() => ID)
  id!: string;

  @Field()
  email!: string;

  @Field(() => String, { nullable: true })
  name!: string | null;

  @Field(() => String, { nullable: true })
  firstName!: string | null;

  @Field(() => String, { nullable: true })
  lastName!: string | null;

  @Field()
  isActive!: boolean;

  @Field(() => Role)
  role!: RoleValue;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}

@ObjectType()
class UserEdge {
  @Field()
  cursor!: string;

  @Field(() => User)
  node!: User;
}

@ObjectType()
class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field()
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType()
class UserConnection {
  @Field(() => [UserEdge])
  edges!: UserEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  /** Not a field as such: the totalCount field resolver calls it, so the count is read only when selected (as ours). */
  totalCount!: () => number | Promise<number>;
}

@InputType()
class UserFilter {
  @Field(() => String, { nullable: true })
  search?: string | null;

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => [ID], { nullable: true })
  ids?: string[] | null;

  @Field(() => [Role], { nullable: true })
  roles?: RoleValue[] | null;

  @Field(() => Boolean, { nullable: true })
  isActive?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  isEmailVerified?: boolean | null;

  @Field(() => DeletedFilter, { nullable: true, defaultValue: 'EXCLUDE' })
  deleted?: DeletedMode | null;
}

@InputType()
class UserOrder {
  @Field(() => UserSortField)
  field!: SortField;

  @Field(() => SortDirectionEnum, { defaultValue: 'ASC' })
  direction!: SortDirection;
}

@ArgsType()
class UsersArgs {
  @Field(() => Int, { nullable: true })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;

  @Field(() => UserFilter, { nullable: true })
  filter?: UserFilter | null;

  @Field(() => [UserOrder], { nullable: true })
  orderBy?: UserOrder[] | null;
}

/** The Authorization header: the key of `me`'s kept answer (the token is verified once, on a miss). */
export interface FloorContext {
  authorization: string | undefined;
}

/** Answers kept by key: the first call reads them (a promise), later calls get the value itself. */
class Kept<V> {
  private readonly values = new Map<string, V>();
  private readonly pending = new Map<string, Promise<V>>();

  get(key: string, read: () => Promise<V>): V | Promise<V> {
    if (this.values.has(key)) return this.values.get(key)!;
    let p = this.pending.get(key);
    if (!p) {
      p = read().then((v) => {
        this.values.set(key, v);
        this.pending.delete(key);
        return v;
      });
      p.catch(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return p;
  }
}

export async function floorSchema(rows: RowReader): Promise<GraphQLSchema> {
  const tokens = tokenOptionsFromEnv();
  const pages = new Kept<UserConnection>();
  const counts = new Kept<number>();
  const users = new Kept<Row | null>();
  const me = new Kept<Row>();

  const connection = (page: RowPage, filter: PageArgs['filter']): UserConnection => ({
    edges: page.edges as unknown as UserEdge[],
    pageInfo: { ...page.pageInfo, hasPreviousPage: false, startCursor: page.edges[0]?.cursor ?? null },
    totalCount: () => counts.get(JSON.stringify(filter ?? null), () => rows.count(filter)),
  });

  @Resolver()
  class FloorResolver {
    @Query(() => User)
    me(@Ctx() ctx: FloorContext): Row | Promise<Row> {
      return me.get(ctx.authorization ?? '', async () => {
        const subject = verifyHs256(ctx.authorization, tokens);
        const row = subject ? await rows.byId(subject, RECORD_FIELDS) : null;
        if (!row) throw new Error('unauthenticated');
        return row;
      });
    }

    @Query(() => User, { nullable: true })
    user(@Arg('id', () => ID) id: string): Row | null | Promise<Row | null> {
      return users.get(id, () => rows.byId(id, RECORD_FIELDS));
    }

    @Query(() => UserConnection)
    users(@Args() args: UsersArgs): UserConnection | Promise<UserConnection> {
      const question: PageArgs = { first: args.first, after: args.after, filter: args.filter, orderBy: args.orderBy };
      return pages.get(JSON.stringify(question), async () => connection(await rows.page(question, RECORD_FIELDS), args.filter));
    }
  }

  @Resolver(() => UserConnection)
  class FloorConnectionResolver {
    @FieldResolver(() => Int)
    totalCount(@Root() connection: UserConnection): number | Promise<number> {
      return connection.totalCount();
    }
  }

  return buildSchema({
    resolvers: [FloorResolver, FloorConnectionResolver],
    validate: false,
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
  });
}
