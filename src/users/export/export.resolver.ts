// Thin: decode arguments, call the export service, return a link.
import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { Authorized } from '../../auth/auth.checker.js';
import { principalOf, type Context } from '../../http/context.js';
import { UserFilter } from '../listing/listing.type.js';
import type { ExportFormat as ExportFormatValue, ExportLink, UserField as UserFieldValue } from './export.model.js';
import { ExportFormat, UserExport, UserField } from './export.type.js';

@Resolver()
export class ExportResolver {
  @Authorized('exports.run')
  @Mutation(() => UserExport, {
    description:
      'Returns a short-lived signed link that streams the users matching the filter (all users by default) straight from the database. ' +
      'CSV cells that a spreadsheet would run as formulas are prefixed with an apostrophe.',
  })
  exportUsers(
    @Arg('format', () => ExportFormat) format: ExportFormatValue,
    @Arg('filter', () => UserFilter, { nullable: true }) filter: UserFilter | null,
    @Arg('fields', () => [UserField], { nullable: true, description: 'Default: every field.' }) fields: UserFieldValue[] | null,
    @Arg('bom', () => Boolean, { defaultValue: false, description: 'CSV only: start the file with a UTF-8 byte order mark, so Excel reads accents right.' })
    bom: boolean,
    @Ctx() ctx: Context,
  ): Promise<ExportLink> {
    return ctx.services.exports.createLink(principalOf(ctx), { format, filter, fields, bom }, ctx.origin);
  }
}
