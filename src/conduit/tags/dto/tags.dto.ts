import { ApiProperty } from '@nestjs/swagger';

export class TagsResponse {
  @ApiProperty({ type: [String] }) tags: string[];
}
