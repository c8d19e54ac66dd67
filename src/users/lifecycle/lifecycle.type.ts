// GraphQL shapes of bulk actions. Expected partial failures are data, not errors.
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { BulkActionEnum } from '../../events/event.type.js';
import type { BulkAction } from '../../events/user-event.model.js';

@ObjectType({ description: 'Why one id of a bulk action was not applied.' })
export class BulkActionFailure {
  @Field(() => ID, { description: 'The id as given.' })
  id!: string;

  @Field({ description: 'USER_MANAGEMENT_USER_NOT_FOUND, USER_MANAGEMENT_USER_INACTIVE, FORBIDDEN or BAD_USER_INPUT.' })
  code!: string;

  @Field()
  message!: string;
}

@ObjectType()
export class BulkActionResult {
  @Field(() => BulkActionEnum)
  action!: BulkAction;

  @Field(() => Int, { description: 'Distinct ids asked for (a repeated id counts once): requested = succeeded + failed.' })
  requested!: number;

  @Field(() => [ID], { description: 'Ids now in the requested state, including those that already were (no event for those).' })
  succeeded!: string[];

  @Field(() => [BulkActionFailure])
  failed!: BulkActionFailure[];
}
