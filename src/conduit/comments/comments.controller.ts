import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ParseIdPipe } from '../../http/parse-id.pipe';
import { Authenticated, OptionallyAuthenticated, Viewer } from '../auth/authenticated.decorator';
import { ConduitErrorResponses } from '../conduit-api-docs';
import { ParseSlugPipe } from '../slug.pipe';
import { User } from '../users/user.entity';
import { CommentsService } from './comments.service';
import { MultipleCommentsResponse, NewCommentRequest, SingleCommentResponse } from './dto/comment.dto';

@ApiTags('Comments')
@ConduitErrorResponses(404, 422)
@Controller('articles/:slug/comments')
export class CommentsController {
  constructor(private readonly comments: CommentsService) {}

  @Get()
  @OptionallyAuthenticated()
  @ApiOperation({ operationId: 'GetArticleComments', summary: 'Get comments for an article' })
  @ApiParam({ name: 'slug', description: 'Slug of the article that you want to get comments for' })
  @ApiOkResponse({ type: MultipleCommentsResponse })
  list(@Param('slug', ParseSlugPipe) slug: string, @Viewer() viewer?: User): Promise<MultipleCommentsResponse> {
    return this.comments.list(slug, viewer?.id);
  }

  // RealWorld answers 200 here, not 201.
  @Post()
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({ operationId: 'CreateArticleComment', summary: 'Create a comment for an article' })
  @ApiParam({ name: 'slug', description: 'Slug of the article that you want to create a comment for' })
  @ApiOkResponse({ type: SingleCommentResponse })
  add(@Param('slug', ParseSlugPipe) slug: string, @Viewer() viewer: User, @Body() request: NewCommentRequest): Promise<SingleCommentResponse> {
    return this.comments.add(viewer.id, slug, request.comment);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated()
  @ConduitErrorResponses(403)
  @ApiOperation({ operationId: 'DeleteArticleComment', summary: 'Delete a comment for an article' })
  @ApiParam({ name: 'slug', description: 'Slug of the article that you want to delete a comment for' })
  @ApiParam({ name: 'id', type: 'integer', description: 'ID of the comment you want to delete' })
  @ApiNoContentResponse({ description: 'No content' })
  remove(@Param('slug', ParseSlugPipe) slug: string, @Param('id', ParseIdPipe) id: number, @Viewer() viewer: User): Promise<void> {
    return this.comments.remove(viewer.id, slug, id);
  }
}
