import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../http/context.js';
import { AuthPayload } from '../users/user.type.js';
import { Public } from './auth.checker.js';
import type { AuthPayload as AuthPayloadData } from './session.service.js';

@Resolver()
export class AuthResolver {
  @Public()
  @Mutation(() => AuthPayload, { description: 'Exchange email and password for an access token and a refresh token (a new session). Open to anonymous callers.' })
  login(@Arg('email') email: string, @Arg('password') password: string, @Ctx() ctx: Context): Promise<AuthPayloadData> {
    return ctx.services.auth.login(email, password, ctx.client);
  }
}
