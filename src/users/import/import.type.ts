// GraphQL shapes of imports. Resolvers return plain ImportRecords; these classes only describe
// the shape.
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { asEnum } from '../../graphql-enum.js';
import { ROW_ERROR_CODES } from './import.error.js';
import { IMPORT_MODES, IMPORT_STATUSES, type ImportMode as ImportModeValue, type ImportStatus as ImportStatusValue } from './import.model.js';

export const ImportMode = asEnum(IMPORT_MODES);
registerEnumType(ImportMode, {
  name: 'ImportMode',
  description: 'What happens to a row whose email belongs to an existing (not deleted) user.',
  valuesConfig: {
    INSERT: { description: 'The row is an error (EMAIL_TAKEN); the user is left alone.' },
    UPSERT: { description: "The user is updated with the row's values (only the file's columns; unchanged users are skipped)." },
    SKIP_EXISTING: { description: 'The row is skipped; the user is left alone.' },
  },
});

export const ImportStatus = asEnum(IMPORT_STATUSES);
registerEnumType(ImportStatus, { name: 'ImportStatus' });

@InputType()
export class ImportUsersOptions {
  @Field(() => ImportMode, { nullable: true, defaultValue: 'INSERT' })
  mode?: ImportModeValue | null;

  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'Validate every row (including against existing users) and write nothing.' })
  dryRun?: boolean | null;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: true,
    description: 'true: return when the import has ended. false: return at once with status RUNNING; follow userImportProgress.',
  })
  wait?: boolean | null;
}

const ImportRowErrorCodeEnum = asEnum(Object.values(ROW_ERROR_CODES));
registerEnumType(ImportRowErrorCodeEnum, {
  name: 'ImportRowErrorCode',
  description: 'Why a row was not written.',
  valuesConfig: {
    REQUIRED: { description: 'A required cell (email) is blank.' },
    INVALID_VALUE: { description: 'The cell breaks the rule createUser applies to that field (the message says which).' },
    INVALID_PASSWORD_HASH: { description: 'passwordHash is not a bcrypt hash ($2a$, $2b$, $2y$).' },
    INVALID_ENCODING: { description: 'The cell is not valid UTF-8.' },
    DUPLICATE_IN_FILE: { description: 'An earlier row of the file has the same email, or the same externalId.' },
    EMAIL_TAKEN: { description: 'INSERT mode: a live user already has this email.' },
    EXTERNAL_ID_TAKEN: { description: 'Another live user already has this externalId.' },
    COLUMN_COUNT: { description: 'The row has more or fewer fields than the header.' },
    CONFLICTING_PASSWORDS: { description: 'Both password and passwordHash are filled in.' },
  },
});

@ObjectType({ description: 'A problem with one field of one row. The row was not written.' })
export class ImportRowError {
  @Field(() => Int, { description: 'Record number in the file, the header being row 1 (as a spreadsheet numbers rows).' })
  row!: number;

  @Field(() => String, { nullable: true })
  email!: string | null;

  @Field({ description: 'The column, e.g. phoneNumber; "row" for problems with the whole row.' })
  field!: string;

  @Field(() => ImportRowErrorCodeEnum)
  code!: string;

  @Field()
  message!: string;
}

@ObjectType({ description: 'Why the whole import stopped.' })
export class ImportFailure {
  @Field({ description: 'Stable code, e.g. IMPORT_UNKNOWN_COLUMNS, IMPORT_MALFORMED_CSV, UPLOAD_TOO_LARGE.' })
  code!: string;

  @Field()
  message!: string;
}

@ObjectType({ description: 'A CSV import. Chunks of rows commit atomically; counters only count committed rows.' })
export class UserImport {
  @Field(() => ID)
  id!: string;

  @Field(() => ImportStatus)
  status!: ImportStatusValue;

  @Field()
  filename!: string;

  @Field(() => ImportMode)
  mode!: ImportModeValue;

  @Field()
  dryRun!: boolean;

  @Field(() => Int, { description: 'Data rows read so far (final once the import has ended).' })
  totalRows!: number;

  @Field(() => Int, { description: 'Rows in committed chunks: created + updated + skipped + failed.' })
  processedRows!: number;

  @Field(() => Int)
  created!: number;

  @Field(() => Int)
  updated!: number;

  @Field(() => Int, { description: 'Existing users left alone (SKIP_EXISTING, or UPSERT with nothing to change).' })
  skipped!: number;

  @Field(() => Int, { description: 'Rows with at least one error.' })
  failed!: number;

  @Field(() => Int, { description: 'Row errors found; errors() keeps the first 10,000.' })
  errorCount!: number;

  @Field(() => Int, {
    description:
      'Every row up to this one (header = 1) that has no error and was not skipped is written; no row after it is. 1 when nothing was committed.',
  })
  lastCommittedRow!: number;

  @Field(() => ImportFailure, { nullable: true, description: 'Set when status is FAILED.' })
  failure!: ImportFailure | null;

  @Field(() => Date)
  startedAt!: Date;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;
}
