import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiTags } from '@nestjs/swagger';
import { ParseIdPipe } from '../http/parse-id.pipe';
import { ArticlesService } from './articles.service';
import { ArticlePage, ArticleResponse, CreateArticleDto, ListArticlesQuery, UpdateArticleDto } from './dto/article.dto';

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
