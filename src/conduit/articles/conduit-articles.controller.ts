import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Authenticated, OptionallyAuthenticated, Viewer } from '../auth/authenticated.decorator';
import { ConduitErrorResponses } from '../conduit-api-docs';
import { ParseSlugPipe } from '../slug.pipe';
import { User } from '../users/user.entity';
import { ConduitArticlesService } from './conduit-articles.service';
import { FeedQuery, ListArticlesQuery, MultipleArticlesResponse, NewArticleRequest, SingleArticleResponse, UpdateArticleRequest } from './dto/article.dto';

@ApiTags('Articles')
@ConduitErrorResponses(422)
@Controller('articles')
export class ConduitArticlesController {
  constructor(private readonly articles: ConduitArticlesService) {}

  @Get('feed')
  @Authenticated()
  @ApiOperation({ operationId: 'GetArticlesFeed', summary: 'Get recent articles from users you follow' })
  @ApiOkResponse({ type: MultipleArticlesResponse })
  feed(@Query() query: FeedQuery, @Viewer() viewer: User): Promise<MultipleArticlesResponse> {
    return this.articles.feed(query, viewer.id);
  }

  @Get()
  @OptionallyAuthenticated()
  @ApiOperation({ operationId: 'GetArticles', summary: 'Get recent articles globally' })
  @ApiOkResponse({ type: MultipleArticlesResponse })
  list(@Query() query: ListArticlesQuery, @Viewer() viewer?: User): Promise<MultipleArticlesResponse> {
    return this.articles.list(query, viewer?.id);
  }

  @Post()
  @Authenticated()
  @ApiOperation({ operationId: 'CreateArticle', summary: 'Create an article' })
  @ApiCreatedResponse({ type: SingleArticleResponse })
  create(@Body() request: NewArticleRequest, @Viewer() viewer: User): Promise<SingleArticleResponse> {
    return this.articles.create(viewer.id, request.article);
  }

  @Get(':slug')
  @OptionallyAuthenticated()
  @ConduitErrorResponses(404)
  @ApiOperation({ operationId: 'GetArticle', summary: 'Get an article' })
  @ApiParam({ name: 'slug', description: 'Slug of the article to get' })
  @ApiOkResponse({ type: SingleArticleResponse })
  get(@Param('slug', ParseSlugPipe) slug: string, @Viewer() viewer?: User): Promise<SingleArticleResponse> {
    return this.articles.get(slug, viewer?.id);
  }

  @Put(':slug')
  @Authenticated()
  @ConduitErrorResponses(403, 404)
  @ApiOperation({ operationId: 'UpdateArticle', summary: 'Update an article' })
  @ApiParam({ name: 'slug', description: 'Slug of the article to update' })
  @ApiOkResponse({ type: SingleArticleResponse })
  update(@Param('slug', ParseSlugPipe) slug: string, @Body() request: UpdateArticleRequest, @Viewer() viewer: User): Promise<SingleArticleResponse> {
    return this.articles.update(viewer.id, slug, request.article);
  }

  @Delete(':slug')
  @HttpCode(204)
  @Authenticated()
  @ConduitErrorResponses(403, 404)
  @ApiOperation({ operationId: 'DeleteArticle', summary: 'Delete an article' })
  @ApiParam({ name: 'slug', description: 'Slug of the article to delete' })
  @ApiNoContentResponse({ description: 'No content' })
  remove(@Param('slug', ParseSlugPipe) slug: string, @Viewer() viewer: User): Promise<void> {
    return this.articles.remove(viewer.id, slug);
  }

  @Post(':slug/favorite')
  @HttpCode(200)
  @Authenticated()
  @ApiTags('Favorites')
  @ConduitErrorResponses(404)
  @ApiOperation({ operationId: 'CreateArticleFavorite', summary: 'Favorite an article' })
  @ApiParam({ name: 'slug', description: 'Slug of the article that you want to favorite' })
  @ApiOkResponse({ type: SingleArticleResponse })
  favorite(@Param('slug', ParseSlugPipe) slug: string, @Viewer() viewer: User): Promise<SingleArticleResponse> {
    return this.articles.favorite(viewer.id, slug);
  }

  @Delete(':slug/favorite')
  @Authenticated()
  @ApiTags('Favorites')
  @ConduitErrorResponses(404)
  @ApiOperation({ operationId: 'DeleteArticleFavorite', summary: 'Unfavorite an article' })
  @ApiParam({ name: 'slug', description: 'Slug of the article that you want to unfavorite' })
  @ApiOkResponse({ type: SingleArticleResponse })
  unfavorite(@Param('slug', ParseSlugPipe) slug: string, @Viewer() viewer: User): Promise<SingleArticleResponse> {
    return this.articles.unfavorite(viewer.id, slug);
  }
}
