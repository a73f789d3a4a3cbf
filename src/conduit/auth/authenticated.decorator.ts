import { applyDecorators, createParamDecorator, ExecutionContext, UseGuards } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ConduitErrorResponses } from '../conduit-api-docs';
import { AuthenticationGuard, requireAuthentication } from './authentication.guard';

/** The OpenAPI security scheme of `Authorization: Token <jwt>` (registered in configureHttp). */
export const TOKEN_SECURITY = 'Token';

/** A route for signed-in users only: 401 without a valid `Authorization: Token <jwt>`. */
export const Authenticated = () =>
  applyDecorators(requireAuthentication('required'), UseGuards(AuthenticationGuard), ApiSecurity(TOKEN_SECURITY), ConduitErrorResponses(401));

/** A route for anyone; a signed-in user gets their own view (following, favorited). A bad token is still a 401. */
export const OptionallyAuthenticated = () => applyDecorators(requireAuthentication('optional'), UseGuards(AuthenticationGuard), ConduitErrorResponses(401));

/** The signed-in user (see AuthenticationGuard); undefined on an optionally authenticated route without a token. */
export const Viewer = createParamDecorator((_data: unknown, execution: ExecutionContext) => execution.switchToHttp().getRequest<FastifyRequest>().viewer);
