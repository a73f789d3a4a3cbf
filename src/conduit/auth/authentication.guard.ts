import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectRepository } from '@nestjs/typeorm';
import type { FastifyRequest } from 'fastify';
import { Repository } from 'typeorm';
import { usePrimary } from '../../database/consistency';
import { Sticking } from '../../database/sticking';
import { AuthenticationRequiredError, InvalidTokenError } from '../../errors/domain-errors';
import { User } from '../users/user.entity';
import { AccessTokens } from './access-tokens';

export type AuthenticationRule = 'required' | 'optional';
export const AUTHENTICATION = Symbol('authentication');
export const requireAuthentication = (rule: AuthenticationRule) => SetMetadata(AUTHENTICATION, rule);

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user, on routes behind AuthenticationGuard when the request carried a valid token. */
    viewer?: User;
  }
}

/** `Authorization: Token <jwt>`, the RealWorld scheme (the scheme name, as any in HTTP, in any case). */
const TOKEN_HEADER = /^Token ([A-Za-z0-9_.-]{1,4096})$/i;

/**
 * Puts the signed-in user on the request. A route that only may have one (`optional`) still refuses a token
 * that is present but bad: a client that thinks it is signed in must learn that it is not.
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AccessTokens,
    private readonly sticking: Sticking,
    @InjectRepository(User) private readonly users: Repository<User>,
  ) {}

  async canActivate(execution: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.getAllAndOverride<AuthenticationRule>(AUTHENTICATION, [execution.getHandler(), execution.getClass()]) ?? 'required';
    const request = execution.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers.authorization;
    if (header === undefined) {
      if (rule === 'required') throw new AuthenticationRequiredError();
      return true;
    }
    const token = TOKEN_HEADER.exec(header)?.[1];
    if (!token) throw new InvalidTokenError();
    const id = await this.tokens.verify(token);
    // A client that keeps only its JWT still reads its own writes, through whichever app server.
    await this.sticking.stickTo(`user:${id}`);
    request.viewer = await this.userNamedBy(id);
    return true;
  }

  private async userNamedBy(id: number): Promise<User> {
    // A token is only issued for a committed user, so a replica that lacks the row is behind (a client without
    // its consistency token, right after registering): ask the primary before calling the token bad.
    const user = (await this.users.findOneBy({ id })) ?? (await usePrimary(() => this.users.findOneBy({ id })));
    if (!user) throw new InvalidTokenError();
    return user;
  }
}
