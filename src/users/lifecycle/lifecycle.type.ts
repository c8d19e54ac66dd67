// GraphQL shapes of bulk actions. Expected partial failures are data, not errors.
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { BulkActionEnum } from '../../events/event.type.js';
import type { BulkAction } from '../../events/user-event.model.js';
import { asEnum } from '../../graphql-enum.js';
import { BULK_FAILURE_CODES, type BulkFailureCode } from './lifecycle.service.js';

const BulkFailureCodeEnum = asEnum(BULK_FAILURE_CODES);
registerEnumType(BulkFailureCodeEnum, {
  name: 'BulkFailureCode',
  description: 'The error code the same action on this one id would have raised.',
  valuesConfig: {
    USER_MANAGEMENT_USER_NOT_FOUND: { description: 'No live user with this id (deleted ones included, except for restore).' },
    USER_MANAGEMENT_USER_INACTIVE: { description: 'The user is deactivated: activate it first.' },
    FORBIDDEN: { description: 'An admin acting on themselves (deactivate, delete, suspend).' },
    BAD_USER_INPUT: { description: 'Not a UUID.' },
  },
});

@ObjectType({ description: 'Why one id of a bulk action was not applied.' })
export class BulkActionFailure {
  @Field(() => ID, { description: 'The id as given.' })
  id!: string;

  @Field(() => BulkFailureCodeEnum)
  code!: BulkFailureCode;

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
