import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsObject, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { ProfileView } from '../../profiles/dto/profile.dto';

export const COMMENT_MAX = 10_000;

export class NewComment {
  @ApiProperty({ minLength: 1, maxLength: COMMENT_MAX })
  @IsString()
  @MaxLength(COMMENT_MAX)
  @Matches(/\S/, { message: 'body must not be blank' })
  body: string;
}

export class NewCommentRequest {
  @ApiProperty({ type: NewComment })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => NewComment)
  comment: NewComment;
}

/** What is cached of a comment: the same for every viewer. */
export interface CommentRecord {
  id: number;
  body: string;
  createdAt: string;
  updatedAt: string;
  authorId: number;
}

export class CommentView {
  @ApiProperty() id: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiProperty() body: string;
  @ApiProperty({ type: ProfileView }) author: ProfileView;
}

export class SingleCommentResponse {
  @ApiProperty({ type: CommentView }) comment: CommentView;
}

export class MultipleCommentsResponse {
  @ApiProperty({ type: [CommentView] }) comments: CommentView[];
}
