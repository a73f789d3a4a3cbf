import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiTags } from '@nestjs/swagger';
import { Consistency } from '../database/consistency';
import { ParseIdPipe } from '../http/parse-id.pipe';
import { ArticlesService } from './articles.service';
import { ArticlePage, ArticleResponse, ArticleStats, CreateArticleDto, ListArticlesQuery, UpdateArticleDto } from './dto/article.dto';

@ApiTags('articles')
@ApiBadRequestResponse({ description: 'problem+json: invalid input' })
@Controller('articles')
export class ArticlesController {
  constructor(private readonly articles: ArticlesService) {}

  @Post()
  create(@Body() input: CreateArticleDto): Promise<ArticleResponse> {
    return this.articles.create(input);
  }

  @Get()
  list(@Query() query: ListArticlesQuery): Promise<ArticlePage> {
    return this.articles.list(query.limit, query.cursor);
  }

  /** A dashboard figure: a replica up to 5 s behind will do, and nobody waits for a token. */
  @Get('stats')
  @Consistency({ maxStalenessMs: 5000 })
  stats(): Promise<ArticleStats> {
    return this.articles.stats();
  }

  /** "What was just published": always from the primary, never from the cache. */
  @Get('latest')
  @Consistency('strong')
  @ApiNotFoundResponse({ description: 'problem+json: no article yet' })
  latest(): Promise<ArticleResponse> {
    return this.articles.latest();
  }

  /** Read-your-writes (the default): a replica that has replayed the client's token, else the primary. */
  @Get(':id')
  @ApiNotFoundResponse({ description: 'problem+json: no such article' })
  findOne(@Param('id', ParseIdPipe) id: number): Promise<ArticleResponse> {
    return this.articles.findOne(id);
  }

  @Patch(':id')
  @ApiNotFoundResponse({ description: 'problem+json: no such article' })
  update(@Param('id', ParseIdPipe) id: number, @Body() changes: UpdateArticleDto): Promise<ArticleResponse> {
    return this.articles.update(id, changes);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNotFoundResponse({ description: 'problem+json: no such article' })
  remove(@Param('id', ParseIdPipe) id: number): Promise<void> {
    return this.articles.remove(id);
  }
}
