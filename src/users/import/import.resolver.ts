// Thin: decode arguments, call the import service, return. Authorization decisions are here.
import { GraphQLUpload, type FileUpload } from 'graphql-upload-ts';
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { Authorized } from '../../auth/auth.checker.js';
import { principalOf, type Context } from '../../http/context.js';
import type { ImportRecord, ImportRowError as ImportRowErrorData } from './import.model.js';
import { ImportRowError, ImportUsersOptions, UserImport } from './import.type.js';
import { uploadSource } from '../../http/upload.middleware.js';

@Resolver(() => UserImport)
export class ImportResolver {
  @Authorized('imports.run')
  @Mutation(() => UserImport, {
    description:
      'Imports users from a CSV file sent as a GraphQL multipart request (send the header apollo-require-preflight: true). ' +
      'Columns (header row, case-insensitive): email (required), name, firstName, lastName, phoneNumber, avatarUrl, role, isActive, isEmailVerified, password or passwordHash.',
  })
  async importUsers(
    @Arg('file', () => GraphQLUpload) file: Promise<FileUpload>,
    @Arg('options', () => ImportUsersOptions, { nullable: true }) options: ImportUsersOptions | null,
    @Ctx() ctx: Context,
  ): Promise<ImportRecord> {
    const principal = principalOf(ctx);
    const source = await uploadSource(file, ctx.requestBytes, ctx.services.imports.uploadMaxBytes);
    return ctx.services.imports.start(principal, source, {
      ...(options?.mode ? { mode: options.mode } : {}),
      ...(options?.dryRun != null ? { dryRun: options.dryRun } : {}),
      ...(options?.wait != null ? { wait: options.wait } : {}),
    });
  }

  @Authorized('imports.run')
  @Query(() => UserImport, { nullable: true, description: 'null when there is no import with this id.' })
  userImport(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ImportRecord | null> {
    return ctx.services.imports.get(principalOf(ctx), id);
  }

  @Authorized('imports.run')
  @Mutation(() => UserImport, { description: 'Stops a running import after the chunk being written; committed chunks stay. A finished import is returned unchanged.' })
  cancelUserImport(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ImportRecord> {
    return ctx.services.imports.cancel(principalOf(ctx), id);
  }

  @Authorized('imports.run')
  @Subscription(() => UserImport, {
    description: 'The import now, then after every committed chunk; completes after the final state.',
    subscribe: ({ args, context }: SubscribeResolverData<unknown, { id: string }, Context>) =>
      context.services.imports.progress(principalOf(context), args.id),
  })
  userImportProgress(@Arg('id', () => ID) _id: string, @Root() record: ImportRecord): ImportRecord {
    return record;
  }

  @FieldResolver(() => [ImportRowError], { description: 'Row errors in file order (at most the first 10,000 are kept).' })
  errors(
    @Root() record: ImportRecord,
    @Arg('first', () => Int, { defaultValue: 100, description: '0..10000' }) first: number,
    @Ctx() ctx: Context,
  ): Promise<ImportRowErrorData[]> {
    return ctx.services.imports.errors(principalOf(ctx), record.id, first);
  }
}
