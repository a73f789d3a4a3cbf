import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Max, MaxLength, Min } from 'class-validator';
import { MAX_ID } from '../../http/parse-id.pipe';

export const TITLE_MAX = 200;
export const BODY_MAX = 100_000;
export const LIST_LIMIT_MAX = 100;

export class CreateArticleDto {
  @ApiProperty({ minLength: 1, maxLength: TITLE_MAX })
  @IsString()
  @Length(1, TITLE_MAX)
  title: string;

  @ApiProperty({ maxLength: BODY_MAX })
  @IsString()
  @MaxLength(BODY_MAX)
  body: string;
}

export class UpdateArticleDto extends PartialType(CreateArticleDto) {}

export class ListArticlesQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: LIST_LIMIT_MAX, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(LIST_LIMIT_MAX)
  limit: number = 20;

  @ApiPropertyOptional({ type: String, description: 'Opaque: the nextCursor of the previous page.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'cursor must be a nextCursor value' })
  @Min(1)
  @Max(MAX_ID)
  cursor?: number;
}

export class ArticleResponse {
  @ApiProperty() id: number;
  @ApiProperty() title: string;
  @ApiProperty() body: string;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class ArticlePage {
  @ApiProperty({ type: [ArticleResponse] }) items: ArticleResponse[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class ArticleStats {
  @ApiProperty() count: number;
  @ApiProperty({ type: Number, nullable: true }) newestId: number | null;
}
