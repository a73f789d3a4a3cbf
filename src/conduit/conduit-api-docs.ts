import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';

class ErrorMessages {
  @ApiProperty({ type: [String], example: ['user.email must be an email'] }) body: string[];
}

/** The body of every Conduit error: RFC 9457 problem+json, with RealWorld's `errors.body` as an extension member. */
export class RealWorldProblem {
  @ApiProperty({ example: 'about:blank' }) type: string;
  @ApiProperty({ example: 'Unprocessable Entity' }) title: string;
  @ApiProperty({ example: 422 }) status: number;
  @ApiPropertyOptional() detail?: string;
  @ApiPropertyOptional({ example: '/api/users' }) instance?: string;
  @ApiProperty({ description: 'The request id, also in X-Request-Id and the logs.' }) requestId: string;
  @ApiPropertyOptional({ description: 'A stable code for domain errors, e.g. already_taken, not_the_author.' }) code?: string;
  @ApiProperty({ type: ErrorMessages }) errors: ErrorMessages;
}

const MEANING: Record<number, string> = {
  401: 'no token where one is needed, or a token that is malformed, expired, forged, or names a deleted user',
  403: 'the signed-in user is not the author',
  404: 'no such article, comment or user',
  422: 'invalid input: the messages are in errors.body',
};

/** Documents Conduit error responses (problem+json, RealWorldProblem) for the given statuses. */
export const ConduitErrorResponses = (...statuses: (keyof typeof MEANING)[]) =>
  applyDecorators(
    ApiExtraModels(RealWorldProblem),
    ...statuses.map((status) =>
      ApiResponse({ status, description: MEANING[status], content: { 'application/problem+json': { schema: { $ref: getSchemaPath(RealWorldProblem) } } } }),
    ),
  );
