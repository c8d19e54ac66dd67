import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { principalOf, type Context } from '../http/context.js';
import { AuthPayload } from '../users/user.type.js';
import { Authorized, Public } from './auth.checker.js';
import type { AuthPayload as AuthPayloadData } from './session.service.js';
import { Session } from './session.type.js';

@Resolver()
export class SessionResolver {
  @Public()
  @Mutation(() => AuthPayload, {
    description:
      'Spend a refresh token for a new access and refresh token. A refresh token already spent ends its whole session. Open to anonymous callers.',
  })
  refreshSession(@Arg('refreshToken') refreshToken: string, @Ctx() ctx: Context): Promise<AuthPayloadData> {
    return ctx.services.sessions.refresh(refreshToken, ctx.client);
  }

  @Authorized('sessions.own')
  @Mutation(() => Boolean, {
    description: "End the caller's session: its access and refresh tokens stop working. false: the token has no session.",
  })
  logout(@Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.sessions.logout(principalOf(ctx));
  }

  @Authorized('sessions.own')
  @Mutation(() => Int, { description: "End all of the caller's sessions; returns how many ended." })
  logoutEverywhere(@Ctx() ctx: Context): Promise<number> {
    return ctx.services.sessions.logoutEverywhere(principalOf(ctx));
  }

  @Authorized('sessions.manage')
  @Mutation(() => Int, { description: "End all of a user's sessions; returns how many ended." })
  revokeUserSessions(@Arg('userId', () => ID) userId: string, @Ctx() ctx: Context): Promise<number> {
    return ctx.services.sessions.revokeUserSessions(principalOf(ctx), userId);
  }

  @Authorized('sessions.own')
  @Query(() => [Session], { description: "The caller's live sessions, newest first." })
  mySessions(@Ctx() ctx: Context): Promise<Session[]> {
    return ctx.services.sessions.mySessions(principalOf(ctx));
  }

  @Authorized('sessions.manage')
  @Query(() => [Session], { description: "A user's live sessions, newest first." })
  userSessions(@Arg('userId', () => ID) userId: string, @Ctx() ctx: Context): Promise<Session[]> {
    return ctx.services.sessions.userSessions(principalOf(ctx), userId);
  }
}
