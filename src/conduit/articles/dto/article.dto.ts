import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ToInteger } from '../../../http/integer-text';
import { ArrayMaxSize, IsArray, IsDefined, IsInt, IsObject, IsOptional, IsString, Length, Matches, Max, MaxLength, Min, ValidateIf, ValidateNested } from 'class-validator';
import { ProfileView } from '../../profiles/dto/profile.dto';
import { USERNAME, USERNAME_RULE } from '../../users/dto/user.dto';

export const TITLE_MAX = 200;
export const DESCRIPTION_MAX = 1000;
export const BODY_MAX = 100_000;
export const TAGS_MAX = 20;
export const TAG_MAX = 50;
export const LIMIT_MAX = 100;
/** OFFSET walks every row it skips: past this, a client should narrow the filter instead. */
export const OFFSET_MAX = 10_000;

const NOT_BLANK = /\S/;
/** Tags are shown as they are written: no control characters (NUL among them), no surrounding blanks. */
const TAG = /^[^\s\p{Cc}](?:[^\p{Cc}]*[^\s\p{Cc}])?$/u;
const isPresent = (field: string) => ValidateIf((object: Record<string, unknown>) => object[field] !== undefined);
/** Each name once, in the order given (the response lists them sorted). */
const distinct = ({ value }: { value: unknown }) => (Array.isArray(value) ? [...new Set(value)] : value);

export class NewArticle {
  @ApiProperty({ minLength: 1, maxLength: TITLE_MAX })
  @IsString()
  @MaxLength(TITLE_MAX)
  @Matches(NOT_BLANK, { message: 'title must not be blank' })
  title: string;

  @ApiProperty({ maxLength: DESCRIPTION_MAX })
  @IsString()
  @MaxLength(DESCRIPTION_MAX)
  description: string;

  @ApiProperty({ minLength: 1, maxLength: BODY_MAX })
  @IsString()
  @MaxLength(BODY_MAX)
  @Matches(NOT_BLANK, { message: 'body must not be blank' })
  body: string;

  @ApiPropertyOptional({ type: [String], maxItems: TAGS_MAX })
  @IsOptional()
  @Transform(distinct)
  @IsArray()
  @ArrayMaxSize(TAGS_MAX)
  @IsString({ each: true })
  @Length(1, TAG_MAX, { each: true })
  @Matches(TAG, { each: true, message: 'each tag must have no control characters and no surrounding blanks' })
  tagList?: string[];
}

export class UpdateArticle {
  @ApiPropertyOptional({ minLength: 1, maxLength: TITLE_MAX, description: 'A new title gives the article a new slug.' })
  @isPresent('title')
  @IsString()
  @MaxLength(TITLE_MAX)
  @Matches(NOT_BLANK, { message: 'title must not be blank' })
  title?: string;

  @ApiPropertyOptional({ maxLength: DESCRIPTION_MAX })
  @isPresent('description')
  @IsString()
  @MaxLength(DESCRIPTION_MAX)
  description?: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: BODY_MAX })
  @isPresent('body')
  @IsString()
  @MaxLength(BODY_MAX)
  @Matches(NOT_BLANK, { message: 'body must not be blank' })
  body?: string;
}

export class NewArticleRequest {
  @ApiProperty({ type: NewArticle })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => NewArticle)
  article: NewArticle;
}

export class UpdateArticleRequest {
  @ApiProperty({ type: UpdateArticle })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => UpdateArticle)
  article: UpdateArticle;
}

export class FeedQuery {
  @ApiPropertyOptional({ minimum: 0, maximum: OFFSET_MAX, default: 0, description: 'The number of items to skip before starting to collect the result set.' })
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(0)
  @Max(OFFSET_MAX)
  offset: number = 0;

  @ApiPropertyOptional({ minimum: 1, maximum: LIMIT_MAX, default: 20, description: 'The numbers of items to return.' })
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(LIMIT_MAX)
  limit: number = 20;
}

export class ListArticlesQuery extends FeedQuery {
  @ApiPropertyOptional({ description: 'Filter by tag' })
  @IsOptional()
  @IsString()
  @Length(1, TAG_MAX)
  @Matches(TAG, { message: 'tag must have no control characters and no surrounding blanks' })
  tag?: string;

  @ApiPropertyOptional({ description: 'Filter by author (username)' })
  @IsOptional()
  @IsString()
  @Matches(USERNAME, { message: USERNAME_RULE })
  author?: string;

  @ApiPropertyOptional({ description: 'Filter by favorites of a user (username)' })
  @IsOptional()
  @IsString()
  @Matches(USERNAME, { message: USERNAME_RULE })
  favorited?: string;
}

export class ArticleView {
  @ApiProperty() slug: string;
  @ApiProperty() title: string;
  @ApiProperty() description: string;
  @ApiProperty() body: string;
  @ApiProperty({ type: [String], description: 'Sorted by name.' }) tagList: string[];
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiProperty({ description: 'Whether the signed-in user favourited it (false for anonymous viewers).' }) favorited: boolean;
  @ApiProperty() favoritesCount: number;
  @ApiProperty({ type: ProfileView }) author: ProfileView;
}

/** An article in a list: everything but the body. */
export class ArticleSummary extends OmitType(ArticleView, ['body'] as const) {}

export class SingleArticleResponse {
  @ApiProperty({ type: ArticleView }) article: ArticleView;
}

export class MultipleArticlesResponse {
  @ApiProperty({ type: [ArticleSummary] }) articles: ArticleSummary[];
  @ApiProperty({ description: 'How many articles match, over all pages.' }) articlesCount: number;
}
