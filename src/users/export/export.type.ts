// GraphQL shapes of exports.
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { asEnum } from '../../graphql-enum.js';
import { EXPORT_FORMATS, USER_FIELDS, type ExportFormat as ExportFormatValue, type UserField as UserFieldValue } from './export.model.js';

export const ExportFormat = asEnum(EXPORT_FORMATS);
registerEnumType(ExportFormat, {
  name: 'ExportFormat',
  valuesConfig: {
    CSV: { description: 'RFC 4180, header row, CRLF; imports back with importUsers.' },
    JSON: { description: 'One JSON array of objects.' },
    NDJSON: { description: 'One JSON object per line.' },
  },
});

export const UserField = asEnum(USER_FIELDS);
registerEnumType(UserField, { name: 'UserField', description: 'A user field an export can contain (passwordHash never is).' });

@ObjectType()
export class UserExport {
  @Field({ description: 'Short-lived download link on this server; needs no bearer token (the link is the credential).' })
  url!: string;

  @Field(() => Date, { description: 'The link stops working at this time (a download already running finishes).' })
  expiresAt!: Date;

  @Field(() => ExportFormat)
  format!: ExportFormatValue;

  @Field(() => [UserField], { description: 'Columns (CSV) or keys (JSON), in this order.' })
  fields!: UserFieldValue[];

  @Field({ description: 'Whether the CSV file starts with a UTF-8 byte order mark.' })
  bom!: boolean;
}
