// Thin: exportUserData. Rules live in SubjectAccessService.
import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { Authorized } from '../../auth/auth.checker.js';
import { principalOf, type Context } from '../../http/context.js';
import type { ExportLink } from '../export/export.model.js';
import { UserExport } from '../export/export.type.js';

@Resolver()
export class SubjectAccessResolver {
  @Authorized('users.subjectAccess')
  @Mutation(() => UserExport, {
    description:
      'GDPR Art. 15: a short-lived signed link (as exportUsers gives) to one JSON document with everything stored about the user: the profile with attributes, and every event about them. Live, deleted or erased users.',
  })
  exportUserData(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ExportLink> {
    return ctx.services.subjectAccess.link(principalOf(ctx), id, ctx.origin);
  }
}
